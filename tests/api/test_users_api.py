"""Registration, sign-in, tokens and the current user, as the contract states them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask import Flask

from inkwell.models import User, utcnow
from tests.conftest import PASSWORD

Api = Callable[..., Any]


def register(api: Api, username: str = "jake", email: str = "jake@jake.jake") -> Any:
    return api(
        "post",
        "/users",
        json={"user": {"username": username, "email": email, "password": "jake-the-writer"}},
    )


def test_register_returns_the_user_with_a_token(api: Api) -> None:
    response = register(api)
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    user = response.json["user"]
    assert set(user) == {"email", "token", "username", "bio", "image"}
    assert (user["username"], user["email"], user["bio"], user["image"]) == (
        "jake",
        "jake@jake.jake",
        None,
        None,
    )
    me = api("get", "/user", headers={"Authorization": f"Token {user['token']}"})
    assert me.status_code == 200 and me.json["user"]["username"] == "jake"


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [("JAKE", "other@x.io", "username"), ("other", "Jake@Jake.Jake", "email")],
)
def test_register_duplicate_is_409(api: Api, username: str, email: str, field: str) -> None:
    assert register(api).status_code == 201
    response = register(api, username, email)
    assert response.status_code == 409
    assert response.json == {"errors": {field: ["has already been taken"]}}


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"email": "a@b.io", "password": "long-enough"}, "username"),
        ({"username": "", "email": "a@b.io", "password": "long-enough"}, "username"),
        ({"username": "a", "password": "long-enough"}, "email"),
        ({"username": "a", "email": "a@b.io", "password": ""}, "password"),
    ],
)
def test_register_blank_or_missing_is_422(api: Api, user: dict[str, str], field: str) -> None:
    response = api("post", "/users", json={"user": user})
    assert response.status_code == 422
    assert response.json["errors"][field] == ["can't be blank"]


def test_login(api: Api, make_user: Callable[..., User]) -> None:
    make_user("jake", "jake@jake.jake")
    response = api(
        "post", "/users/login", json={"user": {"email": "jake@jake.jake", "password": PASSWORD}}
    )
    assert response.status_code == 200
    assert response.json["user"]["username"] == "jake"
    assert response.json["user"]["token"]


@pytest.mark.parametrize("email", ["jake@jake.jake", "nobody@jake.jake"])
def test_login_wrong_credentials_is_401(
    api: Api, make_user: Callable[..., User], email: str
) -> None:
    make_user("jake", "jake@jake.jake")
    response = api(
        "post", "/users/login", json={"user": {"email": email, "password": "wrong password"}}
    )
    assert response.status_code == 401
    assert response.json == {"errors": {"credentials": ["invalid"]}}


def test_login_ignores_a_stale_token(api: Api, make_user: Callable[..., User]) -> None:
    make_user("jake", "jake@jake.jake")
    response = api(
        "post",
        "/users/login",
        json={"user": {"email": "jake@jake.jake", "password": PASSWORD}},
        headers={"Authorization": "Token stale"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token"])
def test_both_schemes_work(
    api: Api, make_user: Callable[..., User], token_for: Callable, scheme: str
) -> None:
    user = make_user()
    response = api("get", "/user", headers={"Authorization": f"{scheme} {token_for(user)}"})
    assert response.status_code == 200


def forged(app: Flask, **claims: Any) -> str:
    now = utcnow()
    payload = {"sub": "1", "iat": now, "exp": now + timedelta(days=1)} | claims
    return jwt.encode(payload, app.config["SECRET_KEY"], algorithm="HS256")


def test_bad_tokens_are_401(
    api: Api, app: Flask, make_user: Callable[..., User], token_for: Callable
) -> None:
    user = make_user()
    good = token_for(user)
    now = utcnow()
    unsigned = jwt.encode(
        {"sub": str(user.id), "exp": now + timedelta(days=1)}, key=None, algorithm="none"
    )
    cases = {
        None: "is missing",
        "": "is missing",
        "Token": "is invalid",
        "Basic abc": "is invalid",
        "Token not-a-jwt": "is invalid",
        f"Token {good[:-3]}xyz": "is invalid",
        f"Token {unsigned}": "is invalid",
        f"Token {forged(app, sub=str(user.id), exp=now - timedelta(seconds=5))}": "is invalid",
        f"Token {forged(app, sub='999999')}": "is invalid",
        f"Token {forged(app, sub='abc')}": "is invalid",
        f"Token {forged(app, sub='99999999999999999999')}": "is invalid",
        f"Token {jwt.encode({'sub': str(user.id), 'exp': now + timedelta(days=1)}, 'other-secret-that-is-long-enough', algorithm='HS256')}": "is invalid",
    }
    for header, message in cases.items():
        headers = {} if header is None else {"Authorization": header}
        response = api("get", "/user", headers=headers)
        assert response.status_code == 401, header
        assert response.json == {"errors": {"token": [message]}}, header


def test_update_user(api: Api, make_user: Callable[..., User], auth: Callable) -> None:
    user = make_user("jake", "jake@jake.jake")
    response = api(
        "put",
        "/user",
        headers=auth(user),
        json={
            "user": {"bio": "I like to skateboard", "image": "https://i.stack.imgur.com/xHWG8.jpg"}
        },
    )
    assert response.status_code == 200
    body = response.json["user"]
    assert (body["bio"], body["image"], body["username"]) == (
        "I like to skateboard",
        "https://i.stack.imgur.com/xHWG8.jpg",
        "jake",
    )
    cleared = api("put", "/user", headers=auth(user), json={"user": {"bio": "", "image": None}})
    assert (cleared.json["user"]["bio"], cleared.json["user"]["image"]) == (None, None)


@pytest.mark.parametrize(
    "change", [{"email": ""}, {"email": None}, {"username": ""}, {"username": None}]
)
def test_update_user_blank_identity_is_422(
    api: Api, make_user: Callable[..., User], auth: Callable, change: dict
) -> None:
    user = make_user("jake")
    response = api("put", "/user", headers=auth(user), json={"user": change})
    assert response.status_code == 422
    assert response.json == {"errors": {next(iter(change)): ["can't be blank"]}}


def test_renamed_user_keeps_a_working_token(
    api: Api, make_user: Callable[..., User], auth: Callable
) -> None:
    user = make_user("jake")
    old_headers = auth(user)
    response = api("put", "/user", headers=old_headers, json={"user": {"username": "jacob"}})
    assert response.status_code == 200
    fresh = {"Authorization": f"Token {response.json['user']['token']}"}
    for headers in (fresh, old_headers):
        assert api("get", "/user", headers=headers).json["user"]["username"] == "jacob"


def test_update_user_to_a_taken_name_is_409(
    api: Api, make_user: Callable[..., User], auth: Callable
) -> None:
    make_user("celeb")
    user = make_user("jake")
    response = api("put", "/user", headers=auth(user), json={"user": {"username": "Celeb"}})
    assert response.status_code == 409
    assert response.json == {"errors": {"username": ["has already been taken"]}}


def test_failed_sign_ins_are_rate_limited(api: Api, make_user: Callable[..., User]) -> None:
    make_user("jake", "jake@jake.jake")
    wrong = {"user": {"email": "jake@jake.jake", "password": "wrong password"}}
    for _ in range(10):
        assert api("post", "/users/login", json=wrong).status_code == 401
    blocked = api(
        "post", "/users/login", json={"user": {"email": "jake@jake.jake", "password": PASSWORD}}
    )
    assert blocked.status_code == 429
    assert blocked.json == {"errors": {"rate": ["limit exceeded, try again later"]}}
    assert int(blocked.headers["Retry-After"]) > 0


def test_successful_sign_ins_are_not_limited(api: Api, make_user: Callable[..., User]) -> None:
    make_user("jake", "jake@jake.jake")
    right = {"user": {"email": "jake@jake.jake", "password": PASSWORD}}
    for _ in range(15):
        assert api("post", "/users/login", json=right).status_code == 200


def test_a_common_password_is_refused_with_a_clear_message(api: Api) -> None:
    body = {"user": {"username": "jake", "email": "jake@example.com", "password": "password"}}
    response = api("post", "/users", json=body)
    assert response.status_code == 422
    message = response.json["errors"]["password"][0]
    assert message.startswith("is too common or too easy to guess")
