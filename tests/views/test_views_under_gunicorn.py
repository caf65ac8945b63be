"""Views counted by real Gunicorn workers without Redis: each worker keeps its own batch
and writes it on its timer and when it is stopped, so N concurrent readers end as N
views, however the workers shared them."""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from tests.databases import Backend
from tests.servers import call, gunicorn

READERS = 30


def _views(database: str, slug: str) -> int:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            total = connection.execute(
                sa.text(
                    "SELECT SUM(v.views) FROM article_views v "
                    "JOIN articles a ON a.id = v.article_id WHERE a.slug = :slug"
                ),
                {"slug": slug},
            ).scalar()
    finally:
        engine.dispose()
    return int(total or 0)


def _read_concurrently(site: str, slug: str) -> None:
    start = threading.Barrier(READERS)
    statuses: list[int] = []

    def read(number: int) -> None:
        start.wait()
        for _ in range(2):
            request = urllib.request.Request(
                f"{site}/article/{slug}", headers={"User-Agent": f"reader-{number}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                statuses.append(response.status)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * (2 * READERS)


def _publish(base: str) -> str:
    user = {"username": "widely-read", "email": "widely@example.com", "password": "a long pass"}
    status, body = call(base, "POST", "/users", {"user": user})
    assert status == 201, body
    article = {"title": "Read everywhere", "description": "d", "body": "b", "tagList": []}
    status, body = call(base, "POST", "/articles", {"article": article}, body["user"]["token"])
    assert status == 201, body
    return str(body["article"]["slug"])


def test_each_workers_batch_is_written_when_it_stops(backend: Backend, tmp_path: Path) -> None:
    database = backend.fresh_url("inkwell_test_views_gunicorn", tmp_path)
    settings = {"INKWELL_VIEWS_FLUSH_SECONDS": "3600", "INKWELL_RESPONSE_CACHE": "false"}
    with gunicorn(database, tmp_path, workers=2, **settings) as base:
        slug = _publish(base)
        _read_concurrently(base.removesuffix("/api"), slug)
        assert _views(database, slug) == 0  # held by the workers until they stop
    assert _views(database, slug) == READERS


def test_each_workers_batch_is_written_on_its_timer(backend: Backend, tmp_path: Path) -> None:
    database = backend.fresh_url("inkwell_test_views_gunicorn_timer", tmp_path)
    with gunicorn(database, tmp_path, workers=2, INKWELL_VIEWS_FLUSH_SECONDS="1") as base:
        slug = _publish(base)
        _read_concurrently(base.removesuffix("/api"), slug)
        deadline = time.monotonic() + 20
        while _views(database, slug) < READERS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _views(database, slug) == READERS
