"""What browsers and front ends on other origins send, answered as they need it.

A browser asks before every cross-origin call that carries a token (a CORS
preflight: `OPTIONS`, no `Authorization`, no body); front ends add trailing
slashes; bodies arrive malformed, deep, chunked or blank. Each answer here is
one a real client was seen to get wrong.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from inkwell.models import User
from tests.conftest import PASSWORD, migrated_app, send_chunked

Api = Callable[..., Any]
ORIGIN = "https://app.example"
SERVED_ELSEWHERE = ("/api/docs", "/api/openapi.json")


def api_routes(app: Flask) -> Iterator[tuple[str, str]]:
    """(method, path with sample values) for every route of the JSON API."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule.startswith(SERVED_ELSEWHERE):
            continue
        path = rule.rule.replace("<int:id>", "1").replace("<slug:slug>", "a-slug")
        path = path.replace("<username>", "someone")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, path


def preflight(client: Any, method: str, path: str, origin: str = ORIGIN) -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app that lets exactly one origin in and allows two registrations an hour."""
    folder: Path = tmp_path_factory.mktemp("strict")
    with migrated_app(
        f"sqlite:///{folder / 'strict.sqlite3'}",
        folder,
        INKWELL_CORS_ORIGINS=ORIGIN,
        INKWELL_REGISTER_LIMIT="2 per hour",
    ) as application:
        yield application


def test_every_route_answers_a_preflight_whatever_its_authentication(
    strict_app: Flask,
) -> None:
    client = strict_app.test_client()
    routes = list(api_routes(strict_app))
    assert ("GET", "/api/user") in routes and ("GET", "/api/articles/feed") in routes
    for method, path in routes:
        for variant in (path, path + "/"):
            answer = preflight(client, method, variant)
            assert 200 <= answer.status_code < 300, (method, variant, answer.status_code)
            assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN, (method, variant)
            assert method in answer.headers["Access-Control-Allow-Methods"], (method, variant)
            allowed = answer.headers["Access-Control-Allow-Headers"].lower()
            assert "authorization" in allowed and "content-type" in allowed, (method, variant)


def test_a_preflight_reads_no_body_and_touches_no_database(tmp_path: Path) -> None:
    """Answered before authentication, body parsing and the unit of work: even with
    the database unreachable, and with a body no view could parse."""
    unreachable = "postgresql://nobody@127.0.0.1:9/nowhere"
    from inkwell import create_app
    from tests.conftest import environ_for

    app = create_app(environ_for(unreachable, tmp_path, INKWELL_CORS_ORIGINS=ORIGIN))
    client = app.test_client()
    answer = client.options(
        "/api/articles/a-slug/favorite",
        data="{not json",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
            "Content-Type": "application/json",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_an_origin_not_allowed_gets_no_cors_headers(strict_app: Flask) -> None:
    client = strict_app.test_client()
    answer = preflight(client, "GET", "/api/user", origin="https://elsewhere.example")
    assert not any(name.startswith("Access-Control-Allow") for name, _ in answer.headers)
    read = client.get("/api/tags", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in read.headers


def test_preflights_do_not_count_toward_rate_limits(strict_app: Flask) -> None:
    from tests.conftest import reset_rate_limits

    reset_rate_limits(strict_app)
    client = strict_app.test_client()
    for _ in range(5):
        assert preflight(client, "POST", "/api/users").status_code == 200
    for number in range(2):
        user = {"username": f"eager{number}", "email": f"eager{number}@x.io", "password": PASSWORD}
        answer = client.post("/api/users", json={"user": user}, headers={"Origin": ORIGIN})
        assert answer.status_code == 201, answer.json


def test_every_route_answers_the_same_with_a_trailing_slash(app: Flask) -> None:
    """The same view, without a redirect (a redirect loses the body and fails preflights)."""
    urls = app.url_map.bind("localhost")
    for method, path in api_routes(app):
        assert urls.match(path + "/", method=method) == urls.match(path, method=method), path


def test_front_ends_posting_to_a_slashed_collection_create_the_article(
    api: Api, make_user: Callable[..., User], auth: Callable
) -> None:
    article = {"article": {"title": "Slashed", "description": "d", "body": "b", "tagList": ["t"]}}
    created = api("post", "/articles/", json=article, headers=auth(make_user()))
    assert created.status_code == 201
    assert created.json["article"]["slug"] == "slashed"
    tags = api("get", "/tags/")
    assert tags.status_code == 200 and "t" in tags.json["tags"]


@pytest.mark.parametrize("blank", ["email", "password"])
@pytest.mark.parametrize("value", ["", "   "])
def test_sign_in_with_a_blank_field_is_422(
    api: Api, make_user: Callable[..., User], blank: str, value: str
) -> None:
    make_user("jake", email="jake@jake.jake")
    credentials = {"email": "jake@jake.jake", "password": PASSWORD, blank: value}
    response = api("post", "/users/login", json={"user": credentials})
    assert response.status_code == 422
    assert response.json == {"errors": {blank: ["can't be blank"]}}


def test_every_401_says_how_to_authenticate(api: Api, make_user: Callable[..., User]) -> None:
    make_user("jake", email="jake@jake.jake")
    wrong = api("post", "/users/login", json={"user": {"email": "jake@jake.jake", "password": "x"}})
    assert wrong.status_code == 401
    assert wrong.json == {"errors": {"credentials": ["invalid"]}}
    assert wrong.headers["WWW-Authenticate"] == "Token"
    missing = api("get", "/user")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Token"


def deep(levels: int) -> str:
    return '{"user":{"bio":' + "[" * levels + "]" * levels + "}}"


@pytest.mark.parametrize("levels", [400, 5_000, 100_000])
def test_deep_json_is_an_envelope_and_one_log_line(
    api: Api,
    make_user: Callable[..., User],
    auth: Callable,
    caplog: pytest.LogCaptureFixture,
    levels: int,
) -> None:
    signed_in = auth(make_user()) | {"Content-Type": "application/json"}
    for method, path, headers in (
        ("post", "/users/login", {"Content-Type": "application/json"}),
        ("post", "/users", {"Content-Type": "application/json"}),
        ("put", "/user", signed_in),
        ("post", "/articles", signed_in),
    ):
        with caplog.at_level(logging.INFO, logger="inkwell"):
            caplog.clear()
            response = api(method, path, data=deep(levels), headers=headers)
        assert response.status_code in {400, 422}, (path, response.status_code)
        assert set(response.json) == {"errors"}
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_malformed_json_and_json_that_is_not_an_object_say_which(api: Api) -> None:
    headers = {"Content-Type": "application/json"}
    malformed = api("post", "/users/login", data="{bad", headers=headers)
    assert malformed.status_code == 400
    assert malformed.json == {"errors": {"body": ["is not valid JSON"]}}
    for text in ('"a string"', "42", "[]", "null"):
        wrong = api("post", "/users/login", data=text, headers=headers)
        assert wrong.status_code == 422, text
        assert wrong.json == {"errors": {"body": ["must be an object"]}}, text


def test_a_chunked_body_over_the_limit_is_413(
    app: Flask, client: Any, make_user: Callable[..., User], auth: Callable
) -> None:
    """The body stream simply ends at the limit, which must not pass for the whole body."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"article": {"title": "t", "description": "d", "body": "x" * limit}})
    status, answer = send_chunked(
        app,
        "/api/articles",
        body.encode(),
        auth(make_user()) | {"Content-Type": "application/json"},
    )
    assert status.startswith("413")
    assert json.loads(answer) == {"errors": {"body": ["is too large"]}}


def test_follow_and_favorite_need_no_body(
    api: Api, make_user: Callable[..., User], make_article: Callable[..., Any], auth: Callable
) -> None:
    """Posted with no body and no Content-Type, or with a stray one: the body is not read."""
    reader = auth(make_user())
    make_user("celeb")
    article = make_article()
    assert api("post", "/profiles/celeb/follow", headers=reader).status_code == 200
    stray = reader | {"Content-Type": "application/json"}
    favorite = api("post", f"/articles/{article.slug}/favorite", data="{", headers=stray)
    assert favorite.status_code == 200


def test_html_405_names_the_allowed_methods(client: Any) -> None:
    response = client.delete("/")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "text/html" in response.headers["Content-Type"]
