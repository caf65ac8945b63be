"""`inkwell search reindex --queue`: the reindex as a background job, run by a real
`inkwell worker` on Redis and committed to each backend, or in process without Redis."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from inkwell import create_app
from inkwell.extensions import db
from inkwell.models import SearchDocument
from tests.conftest import environ_for
from tests.search.conftest import Writer, committed, find, titles
from tests.search.test_search_cli import run, url_of
from tests.servers import run_worker, worker_environment


def unindexed(writer: Writer, app: Flask) -> None:
    """Two published articles whose index rows are gone, as after a damaged index."""
    ada = writer.author("ada")
    writer.article(ada, "Alpha", "Body of alpha.")
    writer.article(ada, "Beta", "Body of beta.")
    with committed(app):
        db.session.execute(sa.delete(SearchDocument))
    assert find(app, "alpha").total == 0


def test_the_worker_runs_a_queued_reindex(
    writer: Writer, search_app: Flask, jobs_redis: str, tmp_path: Path
) -> None:
    unindexed(writer, search_app)
    queuing = create_app(environ_for(url_of(search_app), tmp_path, INKWELL_REDIS_URL=jobs_redis))
    code, output = run(queuing, "reindex", "--queue", "--batch-size", "1")
    assert code == 0 and output.startswith("Queued the reindex as job "), output
    assert find(search_app, "alpha").total == 0  # queued, not run

    env = worker_environment(url_of(search_app), tmp_path, INKWELL_REDIS_URL=jobs_redis)
    result = run_worker(env, "--burst")
    assert result.returncode == 0, result.stderr
    assert "Job OK" in result.stdout + result.stderr
    assert titles(find(search_app, "alpha")) == ["Alpha"]
    assert run(search_app, "check")[0] == 0


def test_without_redis_the_queued_reindex_runs_in_process(
    writer: Writer, search_app: Flask
) -> None:
    unindexed(writer, search_app)
    code, output = run(search_app, "reindex", "--queue")
    assert code == 0, output
    assert output.splitlines() == [
        "INKWELL_REDIS_URL is not set: the reindex runs here, as a job of this process.",
        "The reindex job is done.",
    ]
    assert titles(find(search_app, "beta")) == ["Beta"]
