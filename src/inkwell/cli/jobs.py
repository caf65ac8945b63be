"""`inkwell worker` and `inkwell jobs`: the background jobs on Redis, as an operator
runs and watches them (see `inkwell.scaling.jobs`)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from inkwell.extensions import db
from inkwell.ops.logging import log_like_inkwell
from inkwell.scaling import jobs


@click.command("worker")
@click.option(
    "--burst",
    is_flag=True,
    help="Run the jobs waiting now (and retries already due), then exit.",
)
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs from Redis (INKWELL_REDIS_URL) until stopped.

    Each job runs in a process of its own, in its own units of work, on the
    primary database. A job that fails is tried again after its back-off
    intervals; one that fails every time is kept for `inkwell jobs`. SIGTERM
    or Ctrl-C stops the worker once the running job has finished.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = jobs.job_queue(app)
    log_like_inkwell("rq")
    # Each job's forked process opens its own connections; none may be inherited.
    db.engine.dispose()
    queue.work(app, burst=burst)


@click.group("jobs", invoke_without_command=True)
@click.pass_context
@with_appcontext
def jobs_group(ctx: click.Context) -> None:
    """List the background jobs that failed every try (and how many wait or run)."""
    if ctx.invoked_subcommand is not None:
        return
    queue = jobs.job_queue(current_app._get_current_object())  # type: ignore[attr-defined]
    counts = queue.counts()
    click.echo(", ".join(f"{what}: {count}" for what, count in counts.items()))
    for failed in queue.failed():
        when = failed.failed_at.strftime("%Y-%m-%d %H:%M:%S UTC") if failed.failed_at else "?"
        click.echo(
            f"{failed.id}  {when}  {failed.function}  retries left: {failed.retries_left}  "
            f"{failed.error}"
        )


@jobs_group.command("retry")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Requeue every failed job.")
@with_appcontext
def retry_command(job_ids: tuple[str, ...], every: bool) -> None:
    """Put failed jobs (by id, or --all) back on the queue to run once more."""
    if bool(job_ids) == every:
        raise click.UsageError("name the failed jobs to retry by id, or give --all")
    queue = jobs.job_queue(current_app._get_current_object())  # type: ignore[attr-defined]
    if every:
        click.echo(f"Requeued {queue.retry_all()} failed jobs.")
        return
    for job_id in job_ids:
        try:
            queue.retry(job_id)
        except jobs.UnknownJob as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Requeued {job_id}.")
