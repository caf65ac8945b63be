"""Fixtures shared by the whole suite.

Every test that asks for `app` (directly or through a factory) runs once per
database backend. Each backend gets a fresh `inkwell_test` database migrated
to head once per session; each test then runs inside a transaction that is
rolled back, with the session joined through savepoints so that a view's or a
command's commit only releases a savepoint.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.test import EnvironBuilder, run_wsgi_app

from inkwell import create_app, markdown
from inkwell.api.tokens import issue_token
from inkwell.extensions import db, limiter
from inkwell.fulltext import described_by_models
from inkwell.models import Article, User, article_tags
from inkwell.models.base import AnalyticsBase
from inkwell.models.views import ANALYTICS_VERSION_TABLE, in_analytics_schema, in_main_schema
from inkwell.ops import schema
from inkwell.passwords import hash_password
from inkwell.services.articles import ArticleDraft, create_article
from inkwell.services.tag_links import linked_time
from inkwell.transactions import unit_of_work
from tests.databases import TEST_DATABASE, Backend, discover, emptied_redis

BACKENDS: dict[str, Backend] = discover()
ON_CI = bool(os.environ.get("CI"))
PASSWORD = "correct horse battery"


def pytest_report_header() -> list[str]:
    """One line for each backend that will not run, saying why."""
    return [
        f"{b.label}: not available, its tests are skipped: {b.problem}"
        for b in BACKENDS.values()
        if b.problem
    ]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run the test only on these database backends"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the runs of a test on backends it is not about (deselected, not skipped:
    a skip would read as something missing)."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("backends")
        params = getattr(item, "callspec", None)
        backend = params.params.get("backend") if params else None
        if marker and backend and backend not in marker.args:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionstart(session: pytest.Session) -> None:
    """On CI every backend must be there: a missing one is a failure, not a skip."""
    missing = [f"{b.label}: {b.problem}" for b in BACKENDS.values() if b.problem]
    if ON_CI and missing:
        pytest.exit("CI requires every database; " + "; ".join(missing), returncode=1)


@pytest.fixture
def jobs_redis() -> str:
    """The Redis database the job queue's tests use (11), emptied first."""
    return emptied_redis(os.environ.get("INKWELL_TEST_JOBS_REDIS_URL", "redis://127.0.0.1:6379/11"))


def environ_for(url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment an app under test is built from: without the health sampler
    and the view counter, whose threads and connections would write to the database
    behind the tests' backs (their tests turn them on or call them themselves)."""
    return {
        "INKWELL_ENV": "testing",
        "DATABASE_URL": url,
        "INKWELL_INSTANCE_PATH": str(instance),
        "INKWELL_HEALTH_SAMPLE_SECONDS": "0",
        "INKWELL_COUNT_VIEWS": "false",
        **extra,
    }


@pytest.fixture(scope="session", params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    """The database backend this run of a test uses."""
    chosen = BACKENDS[request.param]
    if chosen.problem:
        pytest.skip(f"{chosen.label} not available: {chosen.problem}")
    return chosen


@contextmanager
def migrated_app(url: str, instance: Path, **extra: str) -> Iterator[Flask]:
    """An app on the database at `url`, migrated to head; its connections are closed
    before it is handed over (a test may fork servers) and after."""
    application = create_app(environ_for(url, instance, **extra))
    with application.app_context():
        schema.upgrade()
        db.engine.dispose()
    try:
        yield application
    finally:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def app(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a fresh, migrated `inkwell_test` database of the current backend."""
    instance = tmp_path_factory.mktemp(f"instance-{backend.name}")
    with migrated_app(backend.fresh_url(TEST_DATABASE, instance), instance) as application:
        yield application


@pytest.fixture
def session(app: Flask) -> Iterator[sa.orm.Session]:
    """A session inside a transaction that is rolled back after the test."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        factory = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        original, db.session = db.session, scoped_session(factory)
        try:
            yield db.session()
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, session: sa.orm.Session) -> Any:
    """A test client whose requests share the test's rolled-back transaction
    (and see no cached figures from an earlier test)."""
    forget_cached(app)
    return app.test_client()


def send_chunked(app: Flask, path: str, body: bytes, headers: dict[str, str]) -> tuple[str, bytes]:
    """POST `body` to `path` without a length, as Gunicorn hands on a chunked upload
    (the test client always sets one): (status line, answer body)."""
    environ = EnvironBuilder(
        path,
        method="POST",
        input_stream=io.BytesIO(body),
        headers=headers | {"Transfer-Encoding": "chunked"},
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    chunks, status, _headers = run_wsgi_app(app, environ, buffered=True)
    return status, b"".join(chunks)


def reset_rate_limits(app: Flask) -> None:
    """Start a test with untouched rate-limit counters."""
    with app.app_context():
        limiter.reset()


def forget_cached(app: Flask) -> None:
    """Drop what the app caches between requests (the sidebar's popular tags, and the
    readers' pages: a rolled-back test leaves the content version where it found it,
    so the next test's pages would share its keys)."""
    app.extensions.pop("inkwell.popular_tags", None)
    pages = app.extensions.get("inkwell.response_cache")
    if pages is not None:
        pages.clear()


def schema_drift(connection: sa.Connection) -> list[Any]:
    """How the database's schema differs from the models, as `inkwell db check`
    compares them: the search engine's own objects left aside."""
    options = {"include_object": described_by_models, "include_name": in_main_schema}
    context = MigrationContext.configure(connection, opts=options)
    return list(compare_metadata(context, db.metadata))


def analytics_drift(connection: sa.Connection) -> list[Any]:
    """How the analytics tables differ from their models (on the database they live in)."""
    options = {"include_name": in_analytics_schema, "version_table": ANALYTICS_VERSION_TABLE}
    context = MigrationContext.configure(connection, opts=options)
    return list(compare_metadata(context, AnalyticsBase.metadata))


def stale_tag_links() -> list[tuple[int, int]]:
    """(article id, tag id) of every tag link whose publication time is not its
    article's (NULL while the article is withheld): what a tag's page would list wrongly."""
    differing = article_tags.c.published_at.is_distinct_from(linked_time())
    links = sa.select(article_tags.c.article_id, article_tags.c.tag_id)
    joined = links.join(Article, Article.id == article_tags.c.article_id).where(differing)
    return [(article_id, tag_id) for article_id, tag_id in db.session.execute(joined)]


@pytest.fixture
def runner(app: Flask, session: sa.orm.Session) -> Any:
    """A CLI runner whose commands share the test's rolled-back transaction."""
    return app.test_cli_runner()


_numbers = count(1)


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash of PASSWORD, so factories do not pay for hashing."""
    return hash_password(PASSWORD)


@pytest.fixture
def make_user(session: sa.orm.Session, password_hash: str) -> Callable[..., User]:
    """Create users with unique names; their password is PASSWORD.

    Factories commit, as data that exists before a request would be; under the
    `session` fixture that only releases a savepoint.
    """

    def make(username: str | None = None, email: str | None = None, **fields: Any) -> User:
        number = next(_numbers)
        username = username or f"user{number}"
        user = User(
            username=username,
            email=email or f"{username}@example.com",
            password_hash=password_hash,
            **fields,
        )
        session.add(user)
        session.commit()  # releases a savepoint only; the test's transaction remains
        return user

    return make


@pytest.fixture
def make_article(session: sa.orm.Session, make_user: Callable[..., User]) -> Callable[..., Article]:
    """Create articles through the service, published unless told otherwise."""

    def make(
        author: User | None = None,
        title: str | None = None,
        *,
        tags: tuple[str, ...] = (),
        publish: bool = True,
        body: str = "Some *Markdown* body.",
    ) -> Article:
        draft = ArticleDraft(
            title=title or f"Article number {next(_numbers)}",
            description="A short description.",
            body=body,
            tags=tags,
        )
        article = create_article(author or make_user(), draft, publish=publish).article
        session.commit()
        return article

    return make


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """`with count_queries() as n: ...; assert n() == 3`: statements the block ran."""

    @contextmanager
    def counting() -> Iterator[Callable[[], int]]:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield lambda: len([s for s in statements if not _is_savepoint(s)])
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


def _is_savepoint(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every Markdown text rendered while the test runs, whichever module asked."""
    seen: list[str] = []
    parse = markdown._markdown.render

    def counting(text: str, env: Any = None) -> str:
        seen.append(text)
        return parse(text, env)

    monkeypatch.setattr(markdown._markdown, "render", counting)
    return seen


def committed_account(
    app: Flask, username: str, password_hash: str, role: str = "member"
) -> tuple[int, dict[str, str]]:
    """A new account, committed, that signs in with PASSWORD: its id and API headers."""
    with app.app_context():
        with unit_of_work():
            user = User(
                username=username,
                email=f"{username}@example.com",
                password_hash=password_hash,
                role=role,
            )
            db.session.add(user)
            db.session.flush()
        with app.test_request_context():
            token = issue_token(user)
        db.session.remove()
    return user.id, {"Authorization": f"Token {token}"}
