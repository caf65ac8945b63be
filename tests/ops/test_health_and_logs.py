"""Health, readiness, request ids and structured logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import downgrade

from inkwell import create_app
from inkwell.extensions import db
from inkwell.ops import schema
from inkwell.ops.logging import JSONFormatter, RequestContextFilter
from tests.conftest import environ_for


def test_healthz_touches_no_database(client: Any, count_queries: Any) -> None:
    with count_queries() as statements:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert statements() == 0


def test_readyz_when_migrated(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["revision"] == response.json["head"]


def test_readyz_is_503_with_a_reason_before_migrations(tmp_path: Path) -> None:
    app = create_app(environ_for(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert "inkwell db upgrade" in response.json["reason"]
    with app.app_context():
        db.engine.dispose()


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = create_app(environ_for(UNREACHABLE, tmp_path))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "cannot connect" in response.json["reason"]


OUTSIDER = {"REMOTE_ADDR": "203.0.113.5"}
UNREACHABLE = "postgresql://nobody@127.0.0.1:9/none"


def test_readyz_tells_anyone_only_whether_it_is_ready(client: Any, tmp_path: Path) -> None:
    """Load balancers need the status code; the database's name, version, address and
    the driver's message are for operators."""
    ready = client.get("/readyz", environ_base=OUTSIDER)
    assert (ready.status_code, ready.json) == (200, {"status": "ok"})
    app = create_app(environ_for(UNREACHABLE, tmp_path))
    down = app.test_client().get("/readyz", environ_base=OUTSIDER)
    assert (down.status_code, down.json) == (503, {"status": "unavailable"})


def test_readyz_gives_operators_the_detail(tmp_path: Path) -> None:
    """Whoever may read /metrics: the holder of its token, or this machine without one."""
    app = create_app(environ_for(UNREACHABLE, tmp_path, INKWELL_METRICS_TOKEN="s3cret"))
    client = app.test_client()
    operator = {"Authorization": "Bearer s3cret"}
    down = client.get("/readyz", headers=operator, environ_base=OUTSIDER)
    assert down.status_code == 503
    assert down.json["database"] == "PostgreSQL"
    assert (down.json["host"], down.json["port"]) == ("127.0.0.1", 9)
    assert "cannot connect" in down.json["reason"]
    wrong = client.get("/readyz", headers={"Authorization": "Bearer wrong"})
    assert wrong.json == {"status": "unavailable"}  # with a token set, the address is no pass


def test_readyz_logs_each_failure_once(tmp_path: Path) -> None:
    app = create_app(environ_for(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path))
    client = app.test_client()
    # A handler of its own: running migrations reconfigures the root logger's.
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(f"{record.levelname} {record.getMessage()}")  # type: ignore[method-assign]
    logging.getLogger("inkwell").addHandler(handler)

    def probe() -> list[str]:
        lines.clear()
        client.get("/readyz", environ_base=OUTSIDER)
        return [line for line in lines if "ready" in line]

    try:
        [failed] = probe()
        assert failed.startswith("ERROR not ready: SQLite")
        assert "inkwell db upgrade" in failed and str(tmp_path / "site.sqlite3") in failed
        assert probe() == []
        with app.app_context():
            schema.upgrade()
        assert probe() == ["INFO ready again"]
        assert probe() == []
        with app.app_context():
            downgrade(revision="base")
        [again] = probe()
        assert again.startswith("ERROR not ready")
    finally:
        logging.getLogger("inkwell").removeHandler(handler)
        with app.app_context():
            db.engine.dispose()


def test_request_ids_are_kept_or_made(client: Any) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-1234.abc"})
    assert kept.headers["X-Request-ID"] == "edge-1234.abc"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; <script>"})
    assert len(made.headers["X-Request-ID"]) == 32
    assert client.get("/api/tags").headers["X-Request-ID"]


def test_slow_statements_are_logged_with_duration_and_endpoint(
    app: Any, client: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inkwell.ops.logging as ops_logging

    caplog.set_level(logging.WARNING, logger="inkwell.sql")
    handler_filter = RequestContextFilter()
    caplog.handler.addFilter(handler_filter)
    # The app under test logs statements over its threshold; this app's is 200 ms,
    # so patch the clock to make every statement look slow.
    ticks = iter(range(0, 10_000_000, 1))
    monkeypatch.setattr(ops_logging.time, "perf_counter", lambda: next(ticks) * 1.0)
    client.get("/api/tags", headers={"X-Request-ID": "slow-1"})
    records = [
        r for r in caplog.records if getattr(r, "statement", "").startswith("SELECT tags.name")
    ]
    assert records
    record = records[0]
    assert record.duration_ms >= 200  # type: ignore[attr-defined]
    assert record.endpoint == "api.tags"  # type: ignore[attr-defined]
    assert record.request_id == "slow-1"  # type: ignore[attr-defined]
    line = json.loads(JSONFormatter().format(record))
    assert line["level"] == "warning" and line["logger"] == "inkwell.sql"
    assert line["request_id"] == "slow-1" and line["endpoint"] == "api.tags"
    assert line["time"].endswith("Z")


def test_a_log_line_never_queries_for_its_user(
    app: Any, session: Any, make_user: Any, count_queries: Any
) -> None:
    """After a failed unit of work the signed-in user is expired; naming them in
    the 503's log line must not ask the database that just failed."""
    from flask import g

    user = make_user()
    session.expire(user)
    record = logging.LogRecord("inkwell", logging.ERROR, __file__, 1, "database down", (), None)
    with app.test_request_context("/api/articles"), count_queries() as statements:
        g.api_user = user
        assert RequestContextFilter().filter(record)
    assert record.user_id == user.id  # type: ignore[attr-defined]  (read after counting)
    assert statements() == 0
