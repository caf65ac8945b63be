"""Bad input never yields a 500: every failure answers with the error envelope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from inkwell.models import User

Api = Callable[..., Any]


@pytest.mark.parametrize(
    "payload",
    [
        "{not json",
        "[]",
        '"a string"',
        "42",
        "null",
        '{"user": []}',
        '{"user": {"email": 5, "password": []}}',
        "",
    ],
)
def test_malformed_bodies_are_4xx_envelopes(api: Api, payload: str) -> None:
    response = api(
        "post", "/users/login", data=payload, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert set(response.json) == {"errors"}


def test_unknown_fields_are_ignored(api: Api) -> None:
    response = api(
        "post",
        "/users",
        json={
            "user": {
                "username": "jake",
                "email": "jake@jake.jake",
                "password": "jake-the-writer",
                "admin": True,
            },
            "extra": 1,
        },
    )
    assert response.status_code == 201


def test_overlong_strings_are_422(api: Api, make_user: Callable[..., User], auth: Callable) -> None:
    response = api(
        "post",
        "/articles",
        headers=auth(make_user()),
        json={"article": {"title": "t" * 5000, "description": "d", "body": "b"}},
    )
    assert response.status_code == 422
    assert response.json == {"errors": {"title": ["is too long (maximum is 200 characters)"]}}


def test_body_over_the_limit_is_413(
    api: Api, make_user: Callable[..., User], auth: Callable
) -> None:
    huge = {"article": {"title": "t", "description": "d", "body": "x" * 2_000_000}}
    response = api("post", "/articles", headers=auth(make_user()), json=huge)
    assert response.status_code == 413
    assert response.json == {"errors": {"body": ["is too large"]}}


@pytest.mark.parametrize("comment_id", ["0", "2147483648", "99999999999999999999"])
def test_comment_ids_beyond_any_row_are_404(
    api: Api,
    make_article: Callable[..., Any],
    make_user: Callable[..., User],
    auth: Callable,
    comment_id: str,
) -> None:
    article = make_article()
    response = api(
        "delete", f"/articles/{article.slug}/comments/{comment_id}", headers=auth(make_user())
    )
    assert response.status_code == 404
    assert response.json == {"errors": {"comment": ["not found"]}}


def test_very_long_path_segments_are_404(api: Api) -> None:
    assert api("get", "/articles/" + "x" * 5000).status_code == 404
    assert api("get", "/profiles/" + "x" * 5000).json == {"errors": {"profile": ["not found"]}}


def test_the_feed_allows_only_what_the_feed_does(api: Api) -> None:
    """`/api/articles/feed` is not also an article's address: other methods are 405."""
    for method in ("put", "delete", "post"):
        answer = api(method, "/articles/feed")
        assert answer.status_code == 405, method
        assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_unknown_routes_and_methods(api: Api) -> None:
    missing = api("get", "/nothing/here")
    assert missing.status_code == 404 and missing.json == {"errors": {"path": ["not found"]}}
    wrong = api("patch", "/tags")
    assert wrong.status_code == 405 and wrong.json == {"errors": {"method": ["not allowed"]}}
    assert "GET" in wrong.headers["Allow"]


def test_get_and_delete_tolerate_a_json_content_type_without_body(
    api: Api, make_user: Callable[..., User], auth: Callable
) -> None:
    headers = {"Content-Type": "application/json"}
    assert api("get", "/articles", headers=headers).status_code == 200
    user = make_user("jake")
    make_user("celeb")
    assert api("delete", "/profiles/celeb/follow", headers=headers | auth(user)).status_code == 200


def test_cors_is_for_the_api_only(client: Any) -> None:
    preflight = client.options(
        "/api/articles",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] in {"*", "https://app.example"}
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    page = client.get("/", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in page.headers


@pytest.mark.parametrize("text", ["nul\u0000inside", "lone \ud800 surrogate"])
def test_unstorable_text_in_a_body_is_422(
    api: Api, make_user: Callable[..., User], auth: Callable, text: str
) -> None:
    import json

    body = json.dumps({"article": {"title": text, "description": "d", "body": "b"}})
    response = api(
        "post",
        "/articles",
        headers=auth(make_user()) | {"Content-Type": "application/json"},
        data=body,
    )
    assert response.status_code == 422
    assert set(response.json) == {"errors"}


@pytest.mark.parametrize(
    "path", ["/profiles/a%00b", "/articles/a%00b", "/articles?tag=a%00b", "/articles?author=x%00"]
)
def test_nul_in_a_path_or_query_is_never_a_500(api: Api, path: str) -> None:
    response = api("get", path)
    assert response.status_code in (404, 422, 200)
    assert "errors" in response.json or "articles" in response.json


def lose_the_database_at_commit(session: sa.orm.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the request's commit fail as it does when the server goes away mid-request."""

    def commit() -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(session, "commit", commit)


def test_a_commit_the_database_drops_is_a_503_envelope(
    api: Api,
    make_user: Callable[..., User],
    auth: Callable,
    session: sa.orm.Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = auth(make_user())
    lose_the_database_at_commit(session, monkeypatch)
    article = {"article": {"title": "Kept?", "description": "d", "body": "b"}}
    response = api("post", "/articles", headers=headers, json=article)
    assert response.status_code == 503
    assert response.json == {"errors": {"database": ["is unavailable, try again shortly"]}}
    assert response.headers["Retry-After"] == "5"
    monkeypatch.undo()
    assert api("get", "/articles").json["articlesCount"] == 0
