"""`inkwell search reindex|check`: the full-text search index as an operator sees it."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

from inkwell.cli.options import batch_size
from inkwell.ops import reindex
from inkwell.scaling import jobs
from inkwell.services import search_index
from inkwell.transactions import unit_of_work


@click.group("search")
def search_group() -> None:
    """Look after the full-text search index."""


@search_group.command("reindex")
@batch_size(500, "Articles indexed and committed together.")
@click.option(
    "--queue",
    is_flag=True,
    help="Hand the reindex to `inkwell worker` as a background job (retried on failure) "
    "and return at once; without INKWELL_REDIS_URL it runs here, as a job.",
)
@with_appcontext
def reindex_command(batch_size: int, queue: bool) -> None:
    """Write every article's search index row anew from its content.

    For repair, or after changing INKWELL_SEARCH_LANGUAGE (on PostgreSQL the
    index is first rebuilt in the new language, which locks the table while
    it runs). Each batch commits on its own: the site keeps searching and
    writing meanwhile, and an author's edit waits for the batch holding its
    article rather than being overwritten with what the batch read.
    """
    if queue:
        _queue_reindex(batch_size)
        return
    for done in reindex.prepare():
        click.echo(f"ran: {done}")
    total = reindex.size()
    started = time.perf_counter()
    seen = 0

    def rate(_item: object = None) -> str:
        return f"{seen / max(time.perf_counter() - started, 1e-6):,.0f} rows/s"

    with click.progressbar(
        length=total, label="Indexing articles", file=sys.stderr, item_show_func=rate
    ) as bar:
        for count in reindex.batches(batch_size):
            seen += count
            bar.update(count)
    for done in reindex.finish():
        click.echo(f"ran: {done}")
    seconds = time.perf_counter() - started
    click.echo(f"Indexed {seen:,} articles in {seconds:.1f}s ({rate()}).")


def _queue_reindex(batch_size: int) -> None:
    enqueued = jobs.enqueue(reindex.reindex_job, batch_size)
    if enqueued.on_redis:
        click.echo(
            f"Queued the reindex as job {enqueued.id}: `inkwell worker` runs it "
            "(`inkwell jobs` shows it if it fails)."
        )
        return
    click.echo("INKWELL_REDIS_URL is not set: the reindex runs here, as a job of this process.")
    if not enqueued.wait():
        raise click.ClickException("the reindex job failed every try; its log above says why")
    click.echo("The reindex job is done.")


@search_group.command("check")
@batch_size(500, "Index rows compared together.")
@with_appcontext
def check_command(batch_size: int) -> None:
    """Compare the search index with the articles; exit 1 naming what differs.

    Checks the engine's own structures (and on SQLite the FTS5 index against
    its rows), that every published article and no other has a row, and that
    each row holds what its article's content gives now.
    """
    with unit_of_work(writes=False):
        found = search_index.structure_problems(reindex.language())
        found += search_index.missing_and_extra()
        total = search_index.reindex_size()
    stale: list[int] = []
    with click.progressbar(length=total, label="Comparing rows", file=sys.stderr) as bar:
        after: int | None = 0
        while after is not None:
            with unit_of_work(writes=False):
                differing, after, count = search_index.stale_batch(after, batch_size)
            stale += differing
            bar.update(count)
    if stale:
        shown = stale[: search_index.REPORTED_MAX]
        found.append(
            search_index.Difference("indexed with other words than now", shown, len(stale))
        )
    if found:
        for difference in found:
            click.echo(f"differs: {difference}", err=True)
        raise click.ClickException(
            "the search index does not match the articles; `inkwell search reindex` rebuilds it"
        )
    click.echo("The search index matches the articles.")
