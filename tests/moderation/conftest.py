"""Suspending and reinstating authors on a database of their own per module and
backend, with real commits, seen through the API and the site as clients see them.

The act of suspending is one helper (`suspend`, `reinstate`), so that the
moderation service can take its place without the tests changing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db
from inkwell.models import User, utcnow
from inkwell.services.sessions import end_credentials
from inkwell.services.withholding import restore, withhold
from tests.conftest import PASSWORD
from tests.search.conftest import Writer, committed
from tests.search.conftest import http as http
from tests.search.conftest import search_app as search_app
from tests.search.conftest import writer as writer


def suspend(app: Flask, username: str) -> int:
    """Suspend `username` as a moderator does, in one committed unit of work; how
    many of their articles were withheld."""
    with committed(app):
        user = _user(username)
        user.suspended_at = utcnow()
        end_credentials(user)
        return withhold(user)


def reinstate(app: Flask, username: str) -> int:
    """Lift `username`'s suspension, in one committed unit of work; how many of
    their articles are listed again (or back to drafts)."""
    with committed(app):
        user = _user(username)
        user.suspended_at = None
        return restore(user)


def _user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    assert user is not None, username
    return user


def member(writer: Writer, username: str, password_hash: str) -> int:
    """An account that can sign in with PASSWORD."""
    user_id = writer.author(username)
    with committed(writer.app):
        db.session.execute(
            sa.update(User).where(User.id == user_id).values(password_hash=password_hash)
        )
    return user_id


def api_sign_in(http: Any, username: str) -> Any:
    """POST the API's sign-in for `username` (with PASSWORD); the answer."""
    body = {"user": {"email": f"{username}@example.com", "password": PASSWORD}}
    return http.post("/api/users/login", json=body)


def token_of(http: Any, username: str) -> dict[str, str]:
    """Authorization headers for `username`, signed in through the API."""
    answer = api_sign_in(http, username)
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Token {answer.get_json()['user']['token']}"}
