"""With Redis, views wait in one Redis set shared by every app server and a real
`inkwell worker` writes them: nothing reaches the database on the request path, a
failed flush leaves its batch for the next, and Redis going away fails no reader."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from rq import Queue

from inkwell.scaling.jobs import QUEUE
from inkwell.scaling.views import BATCH, PENDING, SIGHTINGS_PER_UNIT, encode
from inkwell.services import views
from inkwell.services.views import Sighting
from tests.conftest import migrated_app
from tests.databases import Backend, emptied_redis
from tests.servers import free_port, run_worker, worker_environment
from tests.views.conftest import Site

REDIS_URL = "redis://127.0.0.1:6379/10"
READERS = 20
FLUSH_SECONDS = 1


@pytest.fixture(scope="module")
def counting_app(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app that keeps its views in Redis until the worker writes them."""
    instance = tmp_path_factory.mktemp(f"views-redis-{backend.name}")
    url = backend.fresh_url("inkwell_test_views_on_redis", instance)
    settings = {
        "INKWELL_COUNT_VIEWS": "true",
        "INKWELL_VIEWS_FLUSH_SECONDS": str(FLUSH_SECONDS),
        "INKWELL_REDIS_URL": emptied_redis(REDIS_URL),
    }
    with migrated_app(url, instance, **settings) as app:
        yield app


@pytest.fixture
def store(counting_app: Flask) -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    return client


def read_concurrently(site: Site, slug: str) -> None:
    start = threading.Barrier(READERS)
    statuses: list[int] = []

    def read(number: int) -> None:
        start.wait()
        for path in (f"/article/{slug}", f"/api/articles/{slug}"):
            statuses.append(site.read(path, f"reader-{number}").status_code)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * (2 * READERS)


def test_views_wait_in_redis_until_the_worker_writes_them(
    site: Site, store: redis.Redis, counting_app: Flask, tmp_path: Path
) -> None:
    _, author = site.author("shared")
    article_id, slug = site.article(author, "Counted by the worker")
    read_concurrently(site, slug)
    assert site.views(article_id) == 0
    assert store.scard(PENDING) == READERS  # the same reader twice is one sighting
    scheduled = Queue(QUEUE, connection=store).scheduled_job_registry.get_job_ids()
    assert len(scheduled) == 1  # one flush planned for the whole batch
    time.sleep(FLUSH_SECONDS + 0.5)  # the flush is due
    database = counting_app.config["SQLALCHEMY_DATABASE_URI"]
    url = database.render_as_string(hide_password=False)
    env = worker_environment(
        url,
        tmp_path,
        INKWELL_REDIS_URL=REDIS_URL,
        INKWELL_COUNT_VIEWS="false",  # the worker writes what the app servers counted
        INKWELL_VIEWS_FLUSH_SECONDS=str(FLUSH_SECONDS),
    )
    finished = run_worker(env, "--burst")
    assert finished.returncode == 0, finished.stderr
    assert site.views(article_id) == READERS
    assert store.exists(PENDING) == 0 and list(store.scan_iter(match=f"{BATCH}*")) == []
    site.read(f"/article/{slug}", "reader-0")  # the same reader within the hour
    site.read(f"/article/{slug}", "late")
    assert site.flush() == 1
    assert site.views(article_id) == READERS + 1


def test_a_failed_flush_leaves_its_batch_for_the_next(
    site: Site, store: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, author = site.author("retried")
    article_id, slug = site.article(author, "Written at the second try")
    read_concurrently(site, slug)
    record = views.record

    def refuse(*_args: object, **_kwargs: object) -> int:
        raise sa.exc.OperationalError("INSERT", None, Exception("the database went away"))

    monkeypatch.setattr(views, "record", refuse)
    with pytest.raises(sa.exc.OperationalError):  # the job fails, and RQ tries it again
        site.flush()
    assert store.exists(PENDING) == 0
    assert len(list(store.scan_iter(match=f"{BATCH}*"))) == 1
    site.read(f"/article/{slug}", "meanwhile")
    monkeypatch.setattr(views, "record", record)
    assert site.flush() == READERS + 1  # the left batch and the new one
    assert site.views(article_id) == READERS + 1
    assert list(store.scan_iter(match=f"{BATCH}*")) == []


def test_without_redis_the_reader_is_answered_and_counting_pauses(
    backend: Backend, tmp_path: Path, password_hash: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis away: every read answered, one warning, and no try at Redis for a while."""
    url = backend.fresh_url("inkwell_test_views_no_redis", tmp_path)
    settings = {
        "INKWELL_COUNT_VIEWS": "true",
        "INKWELL_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "INKWELL_RATELIMIT_ENABLED": "false",
        "INKWELL_RESPONSE_CACHE": "false",
    }
    with migrated_app(url, tmp_path, **settings) as app:
        site = Site(app, password_hash)
        _, author = site.author("unshared")
        article_id, slug = site.article(author, "Read while Redis is away")
        counting = logging.getLogger("inkwell.views")  # Inkwell's loggers keep to their handlers
        counting.addHandler(caplog.handler)
        try:
            for number in range(5):
                assert site.read(f"/article/{slug}", f"reader-{number}").status_code == 200
        finally:
            counting.removeHandler(caplog.handler)
        warnings = [r for r in caplog.records if r.name == "inkwell.views"]
        assert len(warnings) == 1 and "views are not counted for 5 s" in warnings[0].getMessage()
        assert site.views(article_id) == 0


def test_a_long_batch_is_written_in_parts_each_kept_once_committed(
    site: Site, store: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a worker was away: the batch is written 500 sightings a unit, and a flush
    cut short keeps what it committed."""
    _, author = site.author("backlog")
    article_id, _ = site.article(author, "Read while the worker was away")
    hour = views.hour_of(datetime.now(UTC))
    waiting = [Sighting(hour, article_id, f"{n:032x}") for n in range(1200)]
    store.sadd(PENDING, *[encode(sighting) for sighting in waiting])
    record = views.record
    parts: list[int] = []

    def fail_the_second_part(*args: Any, **kwargs: Any) -> int:
        parts.append(len(args[0]))
        if len(parts) == 2:
            raise sa.exc.OperationalError("INSERT", None, Exception("the database went away"))
        return record(*args, **kwargs)

    monkeypatch.setattr(views, "record", fail_the_second_part)
    with pytest.raises(sa.exc.OperationalError):
        site.flush()
    assert parts == [SIGHTINGS_PER_UNIT, SIGHTINGS_PER_UNIT]
    assert site.views(article_id) == SIGHTINGS_PER_UNIT
    [left] = store.scan_iter(match=f"{BATCH}*")
    assert store.scard(left) == len(waiting) - SIGHTINGS_PER_UNIT
    monkeypatch.setattr(views, "record", record)
    assert site.flush() == len(waiting) - SIGHTINGS_PER_UNIT
    assert site.views(article_id) == len(waiting)
    assert list(store.scan_iter(match=f"{BATCH}*")) == []
