"""What a request costs in round trips to the server, and how pooled connections
that the server cut are handled.

Round trips are counted by libpq itself (its protocol trace of every message
psycopg sends), so they include what statement counts miss: `BEGIN`,
`COMMIT` and the pool's connection tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from psycopg import pq
from sqlalchemy import event

from inkwell.extensions import db
from tests.conftest import migrated_app
from tests.databases import Backend

PASSWORD = "correct horse battery"


def _content(client: Any) -> tuple[dict[str, str], str]:
    """A signed-in reader following a writer with two tagged articles; the
    reader's headers and one article's slug."""
    tokens = []
    for name in ("writer", "reader"):
        user = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        answer = client.post("/api/users", json={"user": user})
        assert answer.status_code == 201, answer.json
        tokens.append({"Authorization": f"Token {answer.json['user']['token']}"})
    writer, reader = tokens
    for title in ("First light", "Second wind"):
        article = {"title": title, "description": "d", "body": "b", "tagList": ["sky", "sea"]}
        answer = client.post("/api/articles", json={"article": article}, headers=writer)
        assert answer.status_code == 201
    assert client.post("/api/profiles/writer/follow", headers=reader).status_code == 200
    return reader, answer.json["article"]["slug"]


@contextmanager
def traced(app: Flask, trace: Path) -> Iterator[None]:
    """Trace every message of every new connection of `app` into `trace`."""
    with app.app_context():
        engine = db.engine
    engine.dispose()
    output = trace.open("w")

    def on_connect(dbapi: Any, _record: Any) -> None:
        dbapi.pgconn.trace(output.fileno())
        dbapi.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    event.listen(engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(engine, "connect", on_connect)
        engine.dispose()
        output.close()


def round_trips(trace: Path, since: int) -> int:
    """Messages after byte `since` that make the client wait for the server: a
    simple query, or the Sync that ends an extended-protocol exchange."""
    text = trace.read_text()[since:]
    sent = [line.split("\t") for line in text.splitlines() if line.startswith("F\t")]
    return sum(1 for fields in sent if fields[2].split(" ")[0] in {"Query", "Sync"})


@pytest.mark.backends("postgresql")
def test_reads_take_the_fewest_round_trips(backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url("inkwell_round_trips", tmp_path)
    with migrated_app(url, tmp_path) as app:
        client = app.test_client()
        reader, slug = _content(client)
        trace = tmp_path / "trace"
        with traced(app, trace):
            assert client.get("/api/tags").status_code == 200  # connects, outside the count
            costs = {}
            for name, path, headers in [
                ("list", "/api/articles", {}),
                ("list, kept", "/api/articles", {}),
                ("list, signed in", "/api/articles", reader),
                ("tag", "/api/articles?tag=sky", {}),
                ("feed", "/api/articles/feed", reader),
                ("article", f"/api/articles/{slug}", {}),
                ("past the end", "/api/articles?offset=50", {}),
            ]:
                since = trace.stat().st_size
                answer = client.get(path, headers=headers)
                assert answer.status_code == 200
                costs[name] = round_trips(trace, since)
            since = trace.stat().st_size
            article = {"title": "Third", "description": "d", "body": "b"}
            assert client.post("/api/articles", json={"article": article}, headers=reader)
            writing = round_trips(trace, since)
    # No BEGIN, COMMIT or connection test around a read; the signed-in reader
    # is one statement, and a page past the end asks for its total alone. A
    # signed-out reader's list first reads the content version (the response
    # cache's key): one more round trip for a page rendered, the only one for a
    # page kept.
    assert costs == {
        "list": 2,
        "list, kept": 1,
        "list, signed in": 2,
        "tag": 2,
        "feed": 2,
        "article": 1,
        "past the end": 3,
    }
    assert writing > 2  # writes keep their transaction: BEGIN ... COMMIT


def _cut(app: Flask) -> None:
    """End the server side of every connection `app`'s pool holds, as a server
    restart or a firewall would, without the pool noticing."""
    with app.app_context():
        engine = db.engine
    killer = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    with killer.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        else:
            ids = connection.exec_driver_sql(
                "SELECT id FROM information_schema.processlist "
                "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
            ).scalars()
            for number in ids:
                connection.exec_driver_sql(f"KILL {int(number)}")
    killer.dispose()


@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.parametrize(
    ("ping_after_idle", "answers"),
    [("0", [200, 200]), ("3600", [503, 200])],
    ids=["tested after idling", "in steady use"],
)
def test_a_cut_connection_costs_at_most_one_answer(
    backend: Backend, tmp_path: Path, ping_after_idle: str, answers: list[int]
) -> None:
    """A connection idle past the setting is tested and replaced unseen; one cut
    while in steady use fails one request with a 503, and the pool starts afresh."""
    url = backend.fresh_url("inkwell_cut_connections", tmp_path)
    with migrated_app(url, tmp_path, INKWELL_DB_PING_AFTER_IDLE=ping_after_idle) as app:
        client = app.test_client()
        assert client.get("/api/articles").status_code == 200
        _cut(app)
        got = [client.get("/api/articles").status_code for _ in answers]
    assert got == answers
