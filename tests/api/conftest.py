"""Helpers for talking to the API through the test client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from inkwell.api.tokens import issue_token
from inkwell.models import User
from tests.conftest import reset_rate_limits


@pytest.fixture(autouse=True)
def fresh_rate_limits(app: Flask) -> None:
    """Each test starts with untouched rate-limit counters."""
    reset_rate_limits(app)


@pytest.fixture
def token_for(app: Flask) -> Callable[[User], str]:
    """A valid API token for a user."""

    def token(user: User) -> str:
        with app.test_request_context():
            return issue_token(user)

    return token


@pytest.fixture
def auth(token_for: Callable[[User], str]) -> Callable[[User], dict[str, str]]:
    """Headers that sign a request in as `user`."""

    def headers(user: User) -> dict[str, str]:
        return {"Authorization": f"Token {token_for(user)}"}

    return headers


@pytest.fixture
def api(client: Any) -> Callable[..., Any]:
    """`api("post", "/users", json=...)` → the test client's response."""

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.open(f"/api{path}", method=method.upper(), **kwargs)

    return call
