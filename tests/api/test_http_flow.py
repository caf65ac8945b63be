"""A RealWorld client's whole session over a real socket, against Gunicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import Backend
from tests.servers import call, gunicorn


@pytest.fixture
def server(backend: Backend, tmp_path: Path) -> Iterator[str]:
    """Inkwell under Gunicorn (two workers, production settings) on a fresh database."""
    with gunicorn(backend.fresh_url("inkwell_test_http", tmp_path), tmp_path) as base:
        yield base


def test_realworld_client_flow(server: str) -> None:
    status, body = call(
        server,
        "POST",
        "/users",
        {"user": {"username": "writer", "email": "w@example.com", "password": "writer-password"}},
    )
    assert status == 201
    status, body = call(
        server,
        "POST",
        "/users",
        {"user": {"username": "reader", "email": "r@example.com", "password": "reader-password"}},
    )
    assert status == 201
    status, body = call(
        server,
        "POST",
        "/users/login",
        {"user": {"email": "w@example.com", "password": "writer-password"}},
    )
    assert status == 200
    writer = body["user"]["token"]
    status, body = call(
        server,
        "POST",
        "/users/login",
        {"user": {"email": "r@example.com", "password": "reader-password"}},
    )
    reader = body["user"]["token"]

    status, body = call(
        server,
        "POST",
        "/articles",
        {
            "article": {
                "title": "Over the wire",
                "description": "d",
                "body": "b",
                "tagList": ["http", "e2e"],
            }
        },
        writer,
    )
    assert status == 201
    slug = body["article"]["slug"]
    assert call(server, "GET", "/tags")[1]["tags"] == ["e2e", "http"] or set(
        call(server, "GET", "/tags")[1]["tags"]
    ) == {"e2e", "http"}

    status, body = call(server, "POST", f"/articles/{slug}/favorite", token=reader)
    assert (status, body["article"]["favoritesCount"]) == (200, 1)
    status, body = call(server, "POST", "/profiles/writer/follow", token=reader)
    assert (status, body["profile"]["following"]) == (200, True)
    status, body = call(server, "GET", "/articles/feed", token=reader)
    assert body["articlesCount"] == 1 and body["articles"][0]["favorited"] is True

    status, body = call(
        server, "POST", f"/articles/{slug}/comments", {"comment": {"body": "Nice"}}, reader
    )
    assert status == 201
    comment_id = body["comment"]["id"]
    assert call(server, "DELETE", f"/articles/{slug}/comments/{comment_id}", token=writer)[0] == 204
    assert call(server, "GET", f"/articles/{slug}/comments")[1] == {"comments": []}

    assert call(server, "DELETE", f"/articles/{slug}", token=reader)[0] == 403
    assert call(server, "DELETE", f"/articles/{slug}", token=writer)[0] == 204
    assert call(server, "GET", f"/articles/{slug}")[0] == 404
    assert call(server, "GET", "/articles")[1] == {"articles": [], "articlesCount": 0}
