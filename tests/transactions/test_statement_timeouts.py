"""A request's statement that runs past INKWELL_DB_STATEMENT_TIMEOUT is cut off: the
client gets a 503 like any database outage, and the connection goes back to the pool
healthy. Operator commands are never cut off."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import event

from inkwell import create_app, dialects
from inkwell.cli import cli
from inkwell.extensions import db
from inkwell.queries import articles as q
from tests.conftest import environ_for, forget_cached, migrated_app
from tests.databases import Backend

TIMEOUT_MS = 200
CUT_OFF = "took longer than the server allows, try again shortly"


def counting(rows: int) -> sa.TextClause:
    """A statement that counts `rows` ** 3 combinations: 500 takes over a second on
    each of the three databases, 150 some tens of milliseconds."""
    return sa.text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
        "SELECT count(*) FROM n a, n b, n c"
    ).bindparams(rows=rows)


@pytest.fixture(scope="module")
def bounded_app(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app whose requests' statements are cut off after TIMEOUT_MS, on a database of
    its own (migrated without the timeout, as `inkwell db upgrade` would be)."""
    instance = tmp_path_factory.mktemp(f"timeouts-{backend.name}")
    url = backend.fresh_url("inkwell_test_statement_timeouts", instance)
    with migrated_app(url, instance):
        pass
    app = create_app(environ_for(url, instance, INKWELL_DB_STATEMENT_TIMEOUT=str(TIMEOUT_MS)))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def engine(bounded_app: Flask) -> sa.Engine:
    with bounded_app.app_context():
        return db.engine


@pytest.fixture
def pool_events(engine: sa.Engine) -> Iterator[dict[str, int]]:
    """How many connections the pool opens and throws away during the test."""
    seen = {"connect": 0, "invalidate": 0, "soft_invalidate": 0}

    def counter(name: str) -> Callable[..., None]:
        return lambda *_args: seen.__setitem__(name, seen[name] + 1)

    listeners = [(name, counter(name)) for name in seen]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners:
        event.remove(engine, name, listener)


@contextmanager
def slow_tag_lists() -> Iterator[None]:
    """The tag lists (the API's, the site's sidebar) first run for seconds."""

    def slow(*_args: Any) -> sa.TextClause:
        return counting(500)

    with patch.object(q, "tags_in_use", slow), patch.object(q, "popular_tags", slow):
        yield


def test_a_slow_statement_answers_503_and_its_connection_serves_the_next_request(
    bounded_app: Flask,
    engine: sa.Engine,
    pool_events: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    http = bounded_app.test_client()
    assert http.get("/api/tags").status_code == 200
    with slow_tag_lists(), caplog.at_level(logging.ERROR, logger="inkwell"):
        started = time.monotonic()
        response = http.get("/api/tags")
        took = time.monotonic() - started
    assert response.status_code == 503
    assert response.get_json() == {"errors": {"database": [CUT_OFF]}}
    assert response.headers["Retry-After"] == "5"
    assert took < 1
    [logged] = [r.getMessage() for r in caplog.records if r.name == "inkwell"]
    assert logged.startswith("database timed out: ")
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    again = http.get("/api/tags")
    assert again.status_code == 200
    assert again.get_json() == {"tags": []}
    # The one connection opened by the first request served all three, and is kept.
    assert pool_events == {"connect": 1, "invalidate": 0, "soft_invalidate": 0}
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_the_site_answers_a_slow_statement_with_its_503_page(bounded_app: Flask) -> None:
    forget_cached(bounded_app)  # the sidebar's tags are counted afresh
    with slow_tag_lists():
        response = bounded_app.test_client().get("/")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "That took longer than Inkwell allows." in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "5"
    assert bounded_app.test_client().get("/").status_code == 200


def test_each_statement_gets_the_whole_timeout(bounded_app: Flask) -> None:
    """Time between statements, and before a connection's first, is not counted."""
    with bounded_app.app_context():
        time.sleep(TIMEOUT_MS / 1000 * 1.5)
        assert db.session.scalar(sa.text("SELECT 1")) == 1
        time.sleep(TIMEOUT_MS / 1000 * 1.5)
        # Long enough for SQLite to look at the clock, far short of the timeout.
        assert db.session.scalar(counting(40)) == 40**3
        db.session.rollback()


def count_on(app: Flask, rows: int) -> int | None:
    """Run `counting(rows)` in `app`, outside any request, on a connection of its own."""
    with app.app_context():
        try:
            return db.session.scalar(counting(rows))
        finally:
            db.session.rollback()
            db.engine.dispose()


def test_operator_commands_are_never_cut_off(
    bounded_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = bounded_app.config["SQLALCHEMY_DATABASE_URI"].render_as_string(hide_password=False)
    environ = environ_for(url, Path(bounded_app.instance_path), INKWELL_DB_STATEMENT_TIMEOUT="1")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(sa.exc.OperationalError) as cut:
        count_on(create_app(environ), 150)
    assert dialects.is_statement_timeout(cut.value)
    commands = ScriptInfo(create_app=cli.create_app).load_app()  # as `inkwell` builds it
    assert count_on(commands, 150) == 150**3
