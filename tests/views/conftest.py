"""Article views on apps whose requests commit for real, each module on a database of
its own per backend: readers come through the site and the API as clients do, and
the tests flush the batches themselves (the timer is set far off) unless they test
the timer, the exit or the worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db, limiter
from inkwell.models.base import ANALYTICS
from inkwell.scaling.views import ViewCounter, counter_of
from tests.caching.conftest import csrf_of
from tests.conftest import PASSWORD, committed_account, migrated_app
from tests.databases import Backend

# The flusher thread's interval in these apps: never, within a test.
FAR_OFF = "3600"
# The longest a test here takes from its first read to its last.
LONGEST_TEST_SECONDS = 60


@pytest.fixture(autouse=True)
def within_one_hour() -> None:
    """Every test's reads fall in one UTC hour: a reader counts again in the next, so a
    test that would start in an hour's last minute waits for the next hour."""
    now = datetime.now(UTC)
    left = 3600 - (now.minute * 60 + now.second + now.microsecond / 1_000_000)
    if left < LONGEST_TEST_SECONDS:
        time.sleep(left + 0.5)


@pytest.fixture(scope="module")
def counting_app(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """An app that counts views, on a database of its own that nobody rolls back."""
    instance = tmp_path_factory.mktemp(f"views-{backend.name}")
    name = f"inkwell_test_{request.module.__name__.rsplit('.', 1)[-1].removeprefix('test_')}"
    settings = {"INKWELL_COUNT_VIEWS": "true", "INKWELL_VIEWS_FLUSH_SECONDS": FAR_OFF}
    with migrated_app(backend.fresh_url(name, instance), instance, **settings) as app:
        yield app


class Site:
    """Clients of one app: readers told apart by their user agent, and authors."""

    def __init__(self, app: Flask, password_hash: str) -> None:
        self.app = app
        self.password_hash = password_hash

    @property
    def counter(self) -> ViewCounter:
        counter = counter_of(self.app)
        assert counter is not None
        return counter

    def author(self, username: str, role: str = "member") -> tuple[int, dict[str, str]]:
        """A new account; its id and API headers."""
        return committed_account(self.app, username, self.password_hash, role)

    def article(self, who: dict[str, str], title: str) -> tuple[int, str]:
        """A published article by `who`: its id and slug."""
        body = {"article": {"title": title, "description": "d", "body": "b", "tagList": []}}
        response = self.app.test_client().post("/api/articles", headers=who, json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
        slug = response.get_json()["article"]["slug"]
        with self.app.app_context():
            article_id = db.session.scalar(
                sa.text("SELECT id FROM articles WHERE slug = :slug"), {"slug": slug}
            )
            db.session.remove()
        return int(article_id), slug

    def read(self, path: str, reader: str, **headers: str) -> Any:
        """A GET by the signed-out reader whose browser calls itself `reader`."""
        client = self.app.test_client()
        return client.get(path, headers={"User-Agent": reader, **headers})

    def views(self, article_id: int) -> int:
        """The article's counted views, as the analytics database holds them."""
        with self.app.app_context():
            total = db.session.execute(
                sa.text("SELECT SUM(views) FROM article_views WHERE article_id = :id"),
                {"id": article_id},
                bind_arguments={"bind": db.engines[ANALYTICS]},
            ).scalar()
            db.session.remove()
        return int(total or 0)

    def flush(self) -> int:
        with self.app.app_context():
            return self.counter.flush()


@pytest.fixture
def site(counting_app: Flask, password_hash: str) -> Site:
    """Clients of the module's app, with fresh rate limits and nothing waiting to flush."""
    with counting_app.app_context():
        limiter.reset()
    made = Site(counting_app, password_hash)
    made.flush()
    return made


def analytics_rows(app: Flask, table: str) -> list[tuple[Any, ...]]:
    with app.app_context():
        rows = db.session.execute(
            sa.text(f"SELECT * FROM {table}"),  # noqa: S608  (a table name of the test's)
            bind_arguments={"bind": db.engines[ANALYTICS]},
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def instance_of(app: Flask) -> Path:
    return Path(app.instance_path)


def signed_in_page(site: Site, username: str, path: str) -> str:
    """The page at `path` as `username` sees it, signed in through the site's form."""
    client = site.app.test_client()
    token = csrf_of(client, "/login")
    form = {"email": f"{username}@example.com", "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302
    response = client.get(path)
    assert response.status_code == 200
    return str(response.get_data(as_text=True))
