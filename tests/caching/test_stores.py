"""Where pages are kept: in Redis, shared by every app server (Redis going away
costs renders, never an answer), or nowhere when the operator says so. Uses
Redis database 12 of the local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from inkwell.scaling import cache as cache_module
from tests.caching.conftest import Site, spy_on
from tests.conftest import migrated_app
from tests.databases import Backend

REDIS_URL = "redis://127.0.0.1:6379/12"
NO_REDIS_URL = "redis://127.0.0.1:1/12"  # nothing listens there
SHARED = {
    "INKWELL_REDIS_URL": REDIS_URL,
    "INKWELL_SECRET_KEY": "one key for both of the servers in this test",
}


@pytest.fixture(scope="module")
def database(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A database of this module's own, and an instance folder."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not available: {error}")
    instance = tmp_path_factory.mktemp(f"redis-cache-{backend.name}")
    return backend.fresh_url("inkwell_test_redis_cache", instance), instance


@pytest.fixture
def two_servers(database: tuple[str, Path]) -> Iterator[tuple[Flask, Flask]]:
    """Two apps on the same database and the same Redis, as two app servers are."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    url, instance = database
    with (
        migrated_app(url, instance, **SHARED) as one,
        migrated_app(url, instance, **SHARED) as other,
    ):
        yield one, other
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_a_page_kept_by_one_server_is_served_by_another_until_a_write(
    two_servers: tuple[Flask, Flask],
    password_hash: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one, other = Site(two_servers[0], password_hash), Site(two_servers[1], password_hash)
    author = one.account("redis_author")
    article = {"title": "Shared light", "description": "d", "body": "b", "tagList": ["shared"]}
    one.api("POST", "/articles", author, article=article)
    lookups = spy_on(other.app, monkeypatch)
    for path in ("/", "/api/articles", "/tag/shared"):
        page = one.text(path)
        assert other.text(path) == page and lookups.last(), path
    assert redis.Redis.from_url(REDIS_URL).keys("inkwell:page:*")
    other.api("PUT", "/articles/shared-light", author, article={"description": "Changed"})
    for path in ("/", "/api/articles", "/tag/shared"):
        assert "Changed" in one.text(path) and "Changed" in other.text(path), path


def test_without_redis_pages_are_rendered(
    database: tuple[str, Path],
    password_hash: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, instance = database
    monkeypatch.setattr(cache_module, "REDIS_PAUSE_SECONDS", 0.0)  # try Redis every time
    with migrated_app(url, instance, INKWELL_REDIS_URL=NO_REDIS_URL) as app:
        site = Site(app, password_hash)
        author = site.account("lonely_author")
        article = {"title": "Alone", "description": "d", "body": "b", "tagList": []}
        site.api("POST", "/articles", author, article=article)
        for path in ("/", "/api/articles", "/article/alone", "/feed.atom"):
            assert "Alone" in site.text(path)
            assert "Alone" in site.text(path)
        site.api("PUT", "/articles/alone", author, article={"description": "Still alone"})
        assert "Still alone" in site.text("/api/articles")


def test_an_operator_may_keep_nothing_and_still_answer_304(
    database: tuple[str, Path], password_hash: str
) -> None:
    url, instance = database
    with migrated_app(url, instance, INKWELL_RESPONSE_CACHE="false") as app:
        assert "inkwell.response_cache" not in app.extensions
        site = Site(app, password_hash)
        author = site.account("uncached_author")
        article = {"title": "Unkept", "description": "d", "body": "b", "tagList": []}
        site.api("POST", "/articles", author, article=article)
        etag = site.read("/api/articles").headers["ETag"]
        assert site.read("/api/articles", **{"If-None-Match": etag}).status_code == 304
        site.api("PUT", "/articles/unkept", author, article={"description": "Changed"})
        assert "Changed" in site.text("/api/articles")
