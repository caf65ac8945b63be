"""Search on a database of its own per module and backend, with real commits.

MariaDB's FULLTEXT indexes see only committed rows, as readers do, so these
tests write through Inkwell's own units of work rather than inside the
rolled-back transaction the rest of the suite uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db, limiter
from inkwell.models import Tag, User
from inkwell.services import totals
from inkwell.services.articles import ArticleDraft, create_article
from inkwell.services.search import Search, SearchResults, search
from inkwell.transactions import unit_of_work
from tests.conftest import migrated_app
from tests.databases import Backend


@pytest.fixture(scope="module")
def search_app(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """An app on a database of its own, migrated to head, that nobody rolls back."""
    instance = tmp_path_factory.mktemp(f"search-{backend.name}")
    name = f"inkwell_test_{request.module.__name__.rsplit('.', 1)[-1].removeprefix('test_')}"
    with migrated_app(backend.fresh_url(name, instance), instance) as app:
        yield app


@contextmanager
def committed(app: Flask) -> Iterator[None]:
    """A unit of work that commits, in an app context."""
    with app.app_context():
        with unit_of_work():
            yield
        db.session.remove()


def wipe(app: Flask) -> None:
    """Remove every user (their articles, index rows and all go with them) and tag."""
    with committed(app):
        db.session.execute(sa.delete(User))
        db.session.execute(sa.delete(Tag))
        totals.recount()


class Writer:
    """Writes authors and articles through the services, each in a committed unit."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.count = 0

    def author(self, username: str) -> int:
        with committed(self.app):
            user = User(username=username, email=f"{username}@example.com", password_hash="x")
            db.session.add(user)
            db.session.flush()
            return user.id

    def article(
        self,
        author_id: int,
        title: str,
        body: str = "",
        *,
        description: str = "",
        tags: tuple[str, ...] = (),
        publish: bool = True,
    ) -> str:
        self.count += 1
        draft = ArticleDraft(
            title=title,
            description=description or f"Entry {self.count}",
            body=body or "Nothing much.",
            tags=tags,
        )
        with committed(self.app):
            author = db.session.get(User, author_id)
            assert author is not None
            return create_article(author, draft, publish=publish).article.slug


@pytest.fixture
def writer(search_app: Flask) -> Iterator[Writer]:
    """A writer on a database emptied before the test."""
    wipe(search_app)
    yield Writer(search_app)


def find(app: Flask, text: str, **asked: Any) -> SearchResults:
    """Search as an anonymous reader, in a read-only unit."""
    with app.app_context():
        with unit_of_work(writes=False):
            language = app.config["INKWELL_SEARCH_LANGUAGE"]
            found = search(None, Search(text, **asked), language=language, facets=True)
        db.session.remove()
        return found


def titles(found: SearchResults) -> list[str]:
    return [hit.view.article.title for hit in found.hits]


@pytest.fixture
def http(search_app: Flask) -> Any:
    with search_app.app_context():
        limiter.reset()
    return search_app.test_client()


Find = Callable[..., SearchResults]
