"""Suspending and reinstating authors on a database of their own per module and
backend, with real commits, seen through the API and the site as clients see them.

Suspending and reinstating go through the moderation service, as the
dashboard's do, acting as the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db
from inkwell.models import AuditEvent, User
from inkwell.services.audit import COMMAND_LINE, Actor
from inkwell.services.moderation import reinstate_user, suspend_user
from tests.conftest import PASSWORD
from tests.search.conftest import Writer, committed
from tests.search.conftest import http as http
from tests.search.conftest import search_app as search_app
from tests.search.conftest import writer as writer


def suspend(app: Flask, username: str) -> int:
    """Suspend `username` through the moderation service, in one committed unit of
    work; how many of their articles were withheld, as its audit entry says (0 when
    they were suspended already, which writes no entry)."""
    return _moderate(app, suspend_user, username)


def reinstate(app: Flask, username: str) -> int:
    """Lift `username`'s suspension the same way; how many articles came back."""
    return _moderate(app, reinstate_user, username)


def _moderate(app: Flask, action: Callable[[Actor, str, str], User], username: str) -> int:
    with committed(app):
        before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
        action(COMMAND_LINE, username, "moderated in a test")
        entry = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.id > before))
        return int(entry.detail.split()[0]) if entry and entry.detail else 0


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
