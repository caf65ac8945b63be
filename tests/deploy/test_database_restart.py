"""Inkwell survives its PostgreSQL restarting: 503s while it is down, nothing lost after.

The test starts a private PostgreSQL of its own (a temporary data directory on
a free port), never touching the machine's shared server.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.private_postgres import PrivatePostgres, primary_with_database
from tests.servers import call, gunicorn


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    with primary_with_database("inkwell") as server:
        yield server


def test_requests_recover_after_a_database_restart_with_no_write_lost(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    with gunicorn(private_postgres.url("inkwell"), tmp_path, workers=2) as api:
        status, body = call(
            api,
            "POST",
            "/users",
            {"user": {"username": "writer", "email": "w@example.com", "password": "long enough"}},
        )
        assert status == 201
        token = body["user"]["token"]
        created: list[str] = []
        outcomes: list[tuple[float, int, Any]] = []
        stop = threading.Event()

        def keep_writing() -> None:
            number = 0
            while not stop.is_set():
                number += 1
                article = {"article": {"title": f"Entry {number}", "description": "d", "body": "b"}}
                status, body = call(api, "POST", "/articles", article, token)
                outcomes.append((time.monotonic(), status, body))
                if status == 201:
                    created.append(body["article"]["slug"])
                time.sleep(0.02)

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            time.sleep(0.5)
            private_postgres.stop()
            down_since = time.monotonic()
            time.sleep(1.5)
            with urllib.request.urlopen(api.removesuffix("/api") + "/metrics") as answer:
                assert answer.status == 200  # the figures that matter most during an outage
                assert b"\ninkwell_database_up 0.0\n" in answer.read()
            private_postgres.start()
            back_at = time.monotonic()
            time.sleep(4)
        finally:
            stop.set()
            writer.join(timeout=30)

        statuses = {status for _, status, _ in outcomes}
        assert statuses <= {201, 503}, f"unexpected answers: {statuses}"
        outage = [body for at, status, body in outcomes if status == 503]
        assert outage, "no request saw the outage"
        assert all(
            body == {"errors": {"database": ["is unavailable, try again shortly"]}}
            for body in outage
        )
        after = [status for at, status, _ in outcomes if at > back_at + 2]
        assert after and all(status == 201 for status in after), "requests did not recover"
        assert any(at < down_since for at, status, _ in outcomes if status == 201)
        status, listing = call(api, "GET", "/articles?limit=100&author=writer")
        assert status == 200
        stored = {article["slug"] for article in listing["articles"]}
        assert listing["articlesCount"] >= len(created)
        missing = [
            slug
            for slug in created
            if slug not in stored and call(api, "GET", f"/articles/{slug}")[0] != 200
        ]
        assert not missing, f"acknowledged writes lost: {missing}"
