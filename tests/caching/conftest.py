"""The signed-out readers' response cache, on apps whose requests commit for real.

A cache must be tested across real commits: inside the rolled-back
transaction the rest of the suite uses, the content version goes back
where it was after each test. Here each module gets a database of its own
on each backend, writes go through the API (and the site) as clients send
them, and moderators act through the moderation service in units of work
of their own, as the dashboard does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db, limiter
from inkwell.scaling.cache import ResponseCache
from inkwell.services.audit import COMMAND_LINE, Actor
from inkwell.transactions import unit_of_work
from tests.conftest import PASSWORD, committed_account, forget_cached
from tests.transactions.conftest import committing_app as committing_app

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class Lookups:
    """What the cache answered to each lookup: True for a kept page, False for none."""

    def __init__(self) -> None:
        self.answers: list[bool] = []

    def last(self) -> bool:
        """Whether the last lookup found a kept page."""
        return self.answers[-1]

    def count(self) -> int:
        return len(self.answers)


def spy_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Lookups:
    """Record each lookup in `app`'s response cache."""
    cache: ResponseCache = app.extensions["inkwell.response_cache"]
    lookups = Lookups()
    found = cache.get

    def get(key: str) -> Any:
        page = found(key)
        lookups.answers.append(page is not None)
        return page

    monkeypatch.setattr(cache, "get", get)
    return lookups


class Site:
    """Clients of one app: signed-out readers, API callers with tokens, and moderators."""

    def __init__(self, app: Flask, password_hash: str) -> None:
        self.app = app
        self.password_hash = password_hash
        self.reader = app.test_client()

    def account(self, username: str) -> dict[str, str]:
        """A new account that can sign in with PASSWORD; its API headers."""
        return committed_account(self.app, username, self.password_hash)[1]

    def api(self, method: str, path: str, who: dict[str, str], **body: Any) -> Any:
        """Send a signed-in API call that must succeed; its JSON (None for 204)."""
        client = self.app.test_client()
        response = client.open(f"/api{path}", method=method, headers=who, json=body or None)
        assert response.status_code < 300, response.get_data(as_text=True)
        return response.get_json(silent=True)

    def read(self, path: str, **headers: str) -> Any:
        """A signed-out reader's GET (the reader keeps no cookies between pages)."""
        return self.app.test_client().get(path, headers=headers)

    def text(self, path: str) -> str:
        """A signed-out reader's page at `path`, which must answer 200."""
        response = self.read(path)
        assert response.status_code == 200, (path, response.status_code)
        return str(response.get_data(as_text=True))

    def browser(self, username: str) -> Any:
        """A test client signed in to the site as `username`, through the sign-in form."""
        client = self.app.test_client()
        token = csrf_of(client, "/login")
        form = {"email": f"{username}@example.com", "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=form).status_code == 302
        return client

    def moderate(self, action: Callable[..., Any], *args: Any) -> None:
        """Run a moderation service as the command line, in a committed unit of work."""
        actor: Actor = COMMAND_LINE
        with self.app.app_context():
            with unit_of_work():
                action(actor, *args, "moderated in a test")
            db.session.remove()

    def content_version(self) -> int:
        with self.app.app_context():
            version = db.session.scalar(
                sa.text("SELECT value FROM counters WHERE name = 'content_version'")
            )
            db.session.remove()
        return int(version)


def csrf_of(client: Any, page: str) -> str:
    """The CSRF token of the form on `page`."""
    match = CSRF.search(client.get(page).get_data(as_text=True))
    assert match, f"no CSRF token on {page}"
    return match.group(1)


@pytest.fixture
def site(committing_app: Flask, password_hash: str) -> Site:
    """Clients of the module's app (default settings: pages kept in process), with
    fresh rate limits and no kept pages."""
    with committing_app.app_context():
        limiter.reset()
    forget_cached(committing_app)
    return Site(committing_app, password_hash)


_names = iter(range(1, 1_000_000))


@pytest.fixture
def unique() -> Callable[[str], str]:
    """`unique("author")`: a name no other test of the module used."""
    return lambda stem: f"{stem}{next(_names)}"
