"""Background jobs on a real Redis (database 11) and a real `inkwell worker`: retries
after their back-off, the failed jobs an operator sees and requeues, jobs in
process without Redis, and a worker refusing to start without one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from inkwell import create_app
from inkwell.scaling import jobs
from tests.conftest import environ_for
from tests.jobs.tasks import broken, flaky, run_times
from tests.servers import run_worker, worker, worker_environment


@pytest.fixture
def database(tmp_path: Path) -> str:
    # These jobs never touch the database; the worker's app only needs one named.
    return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"


@pytest.fixture
def queued_app(database: str, jobs_redis: str, tmp_path: Path) -> Iterator[Flask]:
    """An app that queues its jobs on Redis, in an app context."""
    app = create_app(environ_for(database, tmp_path, INKWELL_REDIS_URL=jobs_redis))
    with app.app_context():
        yield app


def status(redis_url: str, job_id: str) -> JobStatus:
    connection = redis.Redis.from_url(redis_url)
    return Job.fetch(job_id, connection=connection, serializer=JSONSerializer).get_status()


def wait_for(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"still not so after {seconds} s")


def inkwell_jobs(app: Flask, *arguments: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["jobs", *arguments])
    return result.exit_code, result.output


def test_a_failing_job_is_retried_after_its_back_off_and_ends_done(
    queued_app: Flask, database: str, jobs_redis: str, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    env = worker_environment(database, tmp_path, INKWELL_REDIS_URL=jobs_redis)
    with worker(env, tmp_path / "worker.log"):
        queued = jobs.enqueue(flaky, str(runs), 2)
        assert queued.on_redis
        wait_for(lambda: status(jobs_redis, queued.id) == JobStatus.FINISHED)
    first, second, third = run_times(runs)
    # flaky's back-off: 2 s, then 3 s. RQ keeps a retry's time in whole seconds and its
    # scheduler looks once a second, so each wait is within a second of the interval.
    assert 1 <= second - first < 4
    assert 2 <= third - second < 5
    assert jobs.job_queue(queued_app).counts()["failed"] == 0


def test_a_job_failing_every_try_is_listed_and_can_be_requeued(
    queued_app: Flask, database: str, jobs_redis: str, tmp_path: Path
) -> None:
    env = worker_environment(database, tmp_path, INKWELL_REDIS_URL=jobs_redis)
    with worker(env, tmp_path / "worker.log"):
        queued = jobs.enqueue(broken, "the disk is on fire")
        wait_for(lambda: status(jobs_redis, queued.id) == JobStatus.FAILED)

    code, output = inkwell_jobs(queued_app)
    assert code == 0, output
    header, listed = output.splitlines()
    assert header == "queued: 0, scheduled: 0, running: 0, failed: 1"
    assert listed.startswith(f"{queued.id}  ")
    assert "tests.jobs.tasks.broken" in listed
    assert "retries left: 0" in listed
    assert listed.endswith("RuntimeError: the disk is on fire")

    code, output = inkwell_jobs(queued_app, "retry", queued.id)
    assert (code, output) == (0, f"Requeued {queued.id}.\n")
    assert status(jobs_redis, queued.id) == JobStatus.QUEUED
    assert inkwell_jobs(queued_app)[1] == "queued: 1, scheduled: 0, running: 0, failed: 0\n"

    code, output = inkwell_jobs(queued_app, "retry", queued.id)
    assert code == 1
    assert output == f"Error: no failed job has the id {queued.id!r} (`inkwell jobs` lists them)\n"


def test_retry_all_requeues_every_failed_job(
    queued_app: Flask, database: str, jobs_redis: str, tmp_path: Path
) -> None:
    for reason in ("one", "two"):
        jobs.enqueue(broken, reason)
    env = worker_environment(database, tmp_path, INKWELL_REDIS_URL=jobs_redis)
    assert run_worker(env, "--burst").returncode == 0  # each fails once: retries wait 1 s
    time.sleep(1.1)
    assert run_worker(env, "--burst").returncode == 0  # the retries are due, and fail
    assert jobs.job_queue(queued_app).counts()["failed"] == 2
    assert inkwell_jobs(queued_app, "retry", "--all") == (0, "Requeued 2 failed jobs.\n")
    assert jobs.job_queue(queued_app).counts()["queued"] == 2


def test_without_redis_a_job_runs_in_process_and_is_retried(
    database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(environ_for(database, tmp_path))
    runs = tmp_path / "runs"
    with app.app_context():
        retried = jobs.enqueue(flaky, str(runs), 1)
        hopeless = jobs.enqueue(broken, "no luck")
    assert not retried.on_redis and retried.wait(10)
    assert not hopeless.wait(10)
    first, second = run_times(runs)
    assert second - first >= 2  # in process, the back-off is slept exactly
    assert f"job {hopeless.id} (tests.jobs.tasks.broken) failed 2 times, given up" in caplog.text


def test_only_declared_jobs_with_plain_arguments_are_enqueued(queued_app: Flask) -> None:
    with pytest.raises(TypeError, match="is not declared with @job"):
        jobs.enqueue(run_times, "runs")
    with pytest.raises(TypeError, match="plain JSON values"):
        jobs.enqueue(broken, object())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "Error: INKWELL_REDIS_URL is not set: without Redis there is no job queue"),
        (
            {"INKWELL_REDIS_URL": "redis://127.0.0.1:1/11"},
            "Error: INKWELL_REDIS_URL: cannot use Redis: Error 111 connecting to 127.0.0.1:1.",
        ),
    ],
)
def test_the_worker_needs_redis(
    database: str, tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    result = run_worker(worker_environment(database, tmp_path, **settings))
    assert result.returncode == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
