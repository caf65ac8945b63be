"""`GET /api/search`: list summaries with snippets, the viewer's flags, clear 422s,
and a fixed number of statements whatever the page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from inkwell.api.tokens import issue_token
from inkwell.extensions import db
from inkwell.models import User
from inkwell.services.favorites import favorite_article
from tests.search.conftest import Writer, committed, wipe


@pytest.fixture(scope="module")
def corpus(search_app: Flask) -> dict[str, Any]:
    wipe(search_app)
    write = Writer(search_app)
    ada = write.author("ada")
    reader = write.author("reader")
    slugs = [
        write.article(
            ada, f"Comet number {number}", "A comet <b>crossed</b> the sky.", tags=("sky",)
        )
        for number in range(30)
    ]
    write.article(ada, "Comet draft", "comet", publish=False)
    with committed(search_app):
        user = db.session.get(User, reader)
        assert user is not None
        favorite_article(user, slugs[0])
    with search_app.test_request_context(), committed(search_app):
        user = db.session.get(User, reader)
        assert user is not None
        token = issue_token(user)
    return {"app": search_app, "slugs": slugs, "token": token}


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_results_are_list_summaries_with_snippets(corpus: dict[str, Any], http: Any) -> None:
    answer = http.get("/api/search?q=crossed&limit=2")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["articlesCount"] == 30
    assert len(body["articles"]) == 2
    hit = body["articles"][0]
    assert set(hit) == {
        "slug",
        "title",
        "description",
        "tagList",
        "createdAt",
        "updatedAt",
        "favorited",
        "favoritesCount",
        "author",
        "snippet",
    }
    assert hit["tagList"] == ["sky"]
    assert "A comet <mark>crossed</mark> the sky." in hit["snippet"]


def test_a_signed_in_reader_sees_their_flags(corpus: dict[str, Any], http: Any) -> None:
    headers = {"Authorization": f"Token {corpus['token']}"}
    body = http.get("/api/search?q=comet&order=newest&limit=100", headers=headers).get_json()
    assert body["articlesCount"] == 30  # not the draft
    flags = {hit["slug"]: hit["favorited"] for hit in body["articles"]}
    assert flags[corpus["slugs"][0]] is True
    assert sum(flags.values()) == 1
    assert body["articles"][0]["slug"] == corpus["slugs"][-1]


def test_tag_author_and_offset(corpus: dict[str, Any], http: Any) -> None:
    assert http.get("/api/search?q=comet&tag=sky").get_json()["articlesCount"] == 30
    assert http.get("/api/search?q=comet&tag=sea").get_json()["articlesCount"] == 0
    assert http.get("/api/search?q=comet&author=ADA").get_json()["articlesCount"] == 30
    assert http.get("/api/search?q=comet&author=nobody").get_json()["articlesCount"] == 0
    body = http.get("/api/search?q=comet&order=newest&offset=29").get_json()
    assert [hit["slug"] for hit in body["articles"]] == [corpus["slugs"][0]]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("q=", "q", "needs a word to look for"),
        ("q=-comet", "q", "needs a word to look for, not only words to leave out"),
        ("q=" + "x" * 300, "q", "is too long (at most 256 characters)"),
        ("q=comet&order=oldest", "order", None),
        ("q=comet&limit=0", "limit", None),
        ("q=comet&offset=100001", "offset", "must be at most 100000"),
        ("q=%00comet", "q", None),
    ],
)
def test_what_cannot_be_searched_is_a_422_naming_the_field(
    corpus: dict[str, Any], http: Any, query: str, field: str, message: str | None
) -> None:
    answer = http.get(f"/api/search?{query}")
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert field in errors
    if message:
        assert errors[field] == [message]


@pytest.mark.parametrize("limit", [1, 100])
def test_a_search_runs_three_statements_whatever_its_size(
    corpus: dict[str, Any], http: Any, limit: int
) -> None:
    headers = {"Authorization": f"Token {corpus['token']}"}
    with statements(corpus["app"]) as seen:
        answer = http.get(f"/api/search?q=comet sky&limit={limit}", headers=headers)
    assert answer.status_code == 200
    assert len(answer.get_json()["articles"]) == min(limit, 30)
    # The signed-in user, the page with its snippets and flags, the total.
    queries = [s for s in seen if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "SET"))]
    assert len(queries) == 3, queries


def test_the_document_describes_search(http: Any) -> None:
    document = http.get("/api/openapi.json").get_json()
    parameters = {p["name"]: p for p in document["paths"]["/api/search"]["get"]["parameters"]}
    assert set(parameters) == {"q", "tag", "author", "order", "limit", "offset"}
    assert parameters["offset"]["schema"]["maximum"] == 100_000
    assert parameters["q"]["schema"]["maxLength"] == 256
