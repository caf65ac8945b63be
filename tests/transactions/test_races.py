"""Losing a race to another writer is an answer, never a 500: each mechanism, forced.

Each test makes the other writer win at the worst moment, through a
connection of its own that commits, and checks what the request then
answers and what the database then holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from inkwell.models import Favorite, Tag
from inkwell.services import articles as article_service
from tests.transactions.test_units_of_work import publish, register


@pytest.fixture
def rival(committing_app: Flask) -> Iterator[Callable[[str, dict[str, Any]], None]]:
    """Another writer: runs one statement and commits it, on a connection of its own."""
    engine = sa.create_engine(committing_app.config["SQLALCHEMY_DATABASE_URI"])

    def write(sql: str, params: dict[str, Any]) -> None:
        with engine.begin() as connection:
            connection.execute(sa.text(sql), params)

    yield write
    engine.dispose()


@contextmanager
def racing(model: type, action: Callable[[Any], None]) -> Iterator[None]:
    """Run `action(row)` once, as the first `model` row is about to be inserted."""
    done: list[bool] = []

    def hook(_mapper: Any, _connection: Any, row: Any) -> None:
        if not done:
            done.append(True)
            action(row)

    event.listen(model, "before_insert", hook)
    try:
        yield
    finally:
        event.remove(model, "before_insert", hook)


def test_a_commit_the_database_refuses_answers_503_and_keeps_nothing(
    http: Any, read_back: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _name, headers = register(http)

    def refuse(_session: Session) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "commit", refuse)
    article = {"article": {"title": "Never kept", "description": "d", "body": "b"}}
    response = http.post("/api/articles", json=article, headers=headers)
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.json == {"errors": {"database": ["is unavailable, try again shortly"]}}
    assert read_back("SELECT count(*) FROM articles WHERE title = 'Never kept'") == 0


def test_a_slug_taken_at_the_last_moment_gets_a_suffix(
    http: Any, read_back: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _name, headers = register(http)
    first = publish(http, headers, "Contested title")
    # The lookup saw the slug free; by the insert, it was taken.
    monkeypatch.setattr(article_service, "free_slug", lambda _title, _current=None: first)
    second = publish(http, headers, "Contested title")
    assert second != first and second.startswith(f"{first}-")
    assert read_back("SELECT count(*) FROM articles WHERE title = 'Contested title'") == 2


# SQLite lets one writer in at a time: no rival can insert mid-request.
@pytest.mark.backends("postgresql", "mysql")
def test_a_tag_created_by_another_writer_meanwhile_is_reused(
    http: Any, read_back: Callable[..., Any], rival: Callable[[str, dict[str, Any]], None]
) -> None:
    _name, headers = register(http)
    insert_tag = "INSERT INTO tags (name, published_count) VALUES (:name, 0)"
    with racing(Tag, lambda row: rival(insert_tag, {"name": row.name})):
        article = {"article": {"title": "T", "description": "d", "body": "b", "tagList": ["fresh"]}}
        response = http.post("/api/articles", json=article, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["article"]["tagList"] == ["fresh"]
    assert read_back("SELECT count(*) FROM tags WHERE name = 'fresh'") == 1
    assert http.get("/api/articles?tag=fresh").json["articlesCount"] == 1


# SQLite lets one writer in at a time: no rival can insert mid-request.
@pytest.mark.backends("postgresql", "mysql")
def test_a_favorite_added_by_another_request_meanwhile_counts_once(
    http: Any, read_back: Callable[..., Any], rival: Callable[[str, dict[str, Any]], None]
) -> None:
    _name, headers = register(http)
    slug = publish(http, headers, "Favorited twice at once")
    insert_favorite = (
        "INSERT INTO favorites (user_id, article_id, created_at)"
        " VALUES (:user_id, :article_id, CURRENT_TIMESTAMP)"
    )

    def same_favorite(row: Favorite) -> None:
        rival(insert_favorite, {"user_id": row.user_id, "article_id": row.article_id})

    with racing(Favorite, same_favorite):
        response = http.post(f"/api/articles/{slug}/favorite", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["article"]["favorited"] is True
    assert response.json["article"]["favoritesCount"] == 1
    assert read_back("SELECT count(*) FROM favorites") == 1
