"""Helpers for driving the site through the test client, CSRF tokens included."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, g

from inkwell.extensions import db
from inkwell.models import User
from inkwell.services.sessions import start_session
from inkwell.transactions import unit_of_work
from tests.conftest import reset_rate_limits

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


@pytest.fixture(autouse=True)
def fresh_rate_limits(app: Flask) -> None:
    """Each test starts with untouched rate-limit counters."""
    reset_rate_limits(app)


def as_a_new_request() -> None:
    """Start the test client's next request as a real one starts: the test's app
    context outlives each request, and with it `g` (where Flask-Login caches
    the previous request's user and Flask-WTF its CSRF token) and the
    session's rows."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    db.session.expunge_all()


@pytest.fixture
def sign_in(client: Any) -> Callable[[User], None]:
    """Make the test client's session belong to `user`, as signing in does: a
    session recorded on the server, its key in the cookie."""

    def login(user: User) -> None:
        with unit_of_work():
            key = start_session(user)
        g.pop("_login_user", None)  # cached by an earlier request of the test
        with client.session_transaction() as session:
            session["_user_id"] = key
            session["_fresh"] = True

    return login


def csrf_token(client: Any, page: str) -> str:
    """The CSRF token of the form on `page`, as a browser would submit it."""
    match = CSRF.search(client.get(page).get_data(as_text=True))
    assert match, f"no CSRF token on {page}"
    return match.group(1) or match.group(2)


@pytest.fixture
def submit(client: Any) -> Callable[..., Any]:
    """GET `page`, take its CSRF token, POST `data` to `action` (default: the page)."""

    def post(page: str, data: dict[str, str], action: str | None = None) -> Any:
        token = csrf_token(client, page)
        return client.post(action or page, data={**data, "csrf_token": token})

    return post
