"""A suspended account cannot sign in on the site or the API, and what it signed in
with before stops working; every successful sign-in is recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db
from inkwell.models import User, utcnow
from tests.conftest import PASSWORD
from tests.moderation.conftest import api_sign_in, member, reinstate, suspend, token_of
from tests.search.conftest import Writer, committed
from tests.web.conftest import csrf_token


@pytest.fixture
def ada(writer: Writer, password_hash: str) -> int:
    return member(writer, "ada", password_hash)


def site_sign_in(http: Any, username: str) -> Any:
    form = {"email": f"{username}@example.com", "password": PASSWORD}
    return http.post("/login", data={**form, "csrf_token": csrf_token(http, "/login")})


def last_sign_in(app: Flask, username: str) -> datetime | None:
    with committed(app):
        return db.session.scalar(sa.select(User.last_sign_in_at).where(User.username == username))


def test_the_api_refuses_a_suspended_account_once_the_password_is_right(
    search_app: Flask, http: Any, ada: int
) -> None:
    suspend(search_app, "ada")
    answer = api_sign_in(http, "ada")
    assert (answer.status_code, answer.get_json()) == (
        403,
        {"errors": {"account": ["is suspended"]}},
    )
    wrong = http.post(
        "/api/users/login", json={"user": {"email": "ada@example.com", "password": "not it"}}
    )
    assert wrong.status_code == 401  # a guess learns nothing of the suspension
    assert last_sign_in(search_app, "ada") is None

    reinstate(search_app, "ada")
    assert api_sign_in(http, "ada").status_code == 200


def test_the_site_refuses_a_suspended_account(search_app: Flask, http: Any, ada: int) -> None:
    suspend(search_app, "ada")
    answer = site_sign_in(http, "ada")
    assert answer.status_code == 403
    assert "This account is suspended." in answer.get_data(as_text=True)
    assert http.get("/settings").status_code == 302  # not signed in

    reinstate(search_app, "ada")
    assert site_sign_in(http, "ada").status_code == 302
    assert http.get("/settings").status_code == 200


def test_a_token_and_a_session_from_before_stop_working(
    search_app: Flask, http: Any, ada: int
) -> None:
    token = token_of(http, "ada")
    assert site_sign_in(http, "ada").status_code == 302
    assert http.get("/api/user", headers=token).status_code == 200
    assert http.get("/settings").status_code == 200

    suspend(search_app, "ada")
    answer = http.get("/api/user", headers=token)
    assert (answer.status_code, answer.get_json()) == (401, {"errors": {"token": ["is invalid"]}})
    settings = http.get("/settings")
    assert settings.status_code == 302 and "/login" in settings.headers["Location"]

    reinstate(search_app, "ada")  # what was ended stays ended
    assert http.get("/api/user", headers=token).status_code == 401
    assert http.get("/settings").status_code == 302


def test_a_suspended_account_is_no_user_even_with_credentials_left_open(
    search_app: Flask, http: Any, ada: int
) -> None:
    """Belt and braces: credentials the suspension did not end are refused too."""
    token = token_of(http, "ada")
    assert site_sign_in(http, "ada").status_code == 302
    with committed(search_app):
        db.session.execute(sa.update(User).where(User.id == ada).values(suspended_at=utcnow()))
    assert http.get("/api/user", headers=token).status_code == 401
    assert http.get("/settings").status_code == 302


def test_each_sign_in_is_recorded(search_app: Flask, http: Any, ada: int) -> None:
    assert last_sign_in(search_app, "ada") is None
    start = utcnow()
    token_of(http, "ada")
    by_api = last_sign_in(search_app, "ada")
    assert by_api is not None and by_api >= start
    assert site_sign_in(http, "ada").status_code == 302
    by_site = last_sign_in(search_app, "ada")
    assert by_site is not None and by_site >= by_api
