"""Helpers for driving the site through the test client, CSRF tokens included."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, g

from inkwell.models import User
from tests.conftest import reset_rate_limits

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


@pytest.fixture(autouse=True)
def fresh_rate_limits(app: Flask) -> None:
    """Each test starts with untouched rate-limit counters."""
    reset_rate_limits(app)


@pytest.fixture
def sign_in(client: Any) -> Callable[[User], None]:
    """Make the test client's session belong to `user`."""

    def login(user: User) -> None:
        # The test's app context outlives each request, and with it `g`, where
        # Flask-Login caches the previous request's user.
        g.pop("_login_user", None)
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
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
