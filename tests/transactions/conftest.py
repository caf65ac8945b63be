"""Apps whose requests and commands commit for real.

The rest of the suite wraps each test in a transaction that is rolled back,
which cannot tell a missing commit from a present one. Here every module
gets its own freshly migrated database on each backend, and requests and
commands run on Inkwell's own sessions, so what a test reads back is what
was committed, through other connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import limiter
from tests.conftest import migrated_app
from tests.databases import Backend

BUSY_TIMEOUT_MS = 1000


@pytest.fixture(scope="module")
def committing_app(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """An app on a database of its own, migrated to head, that nobody rolls back."""
    instance = tmp_path_factory.mktemp(f"units-{backend.name}")
    name = f"inkwell_test_{request.module.__name__.rsplit('.', 1)[-1].removeprefix('test_')}"
    url = backend.fresh_url(name, instance)
    busy = {"INKWELL_SQLITE_BUSY_TIMEOUT_MS": str(BUSY_TIMEOUT_MS)}
    with migrated_app(url, instance, **busy) as app:
        yield app


@pytest.fixture
def http(committing_app: Flask) -> Any:
    """A test client on the committing app, with fresh rate-limit counters."""
    with committing_app.app_context():
        limiter.reset()
    return committing_app.test_client()


@pytest.fixture
def read_back(committing_app: Flask) -> Iterator[Callable[..., Any]]:
    """Run a query on a connection of its own: it sees only committed rows."""
    engine = sa.create_engine(committing_app.config["SQLALCHEMY_DATABASE_URI"])

    def read(sql: str, **params: Any) -> Any:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()

    yield read
    engine.dispose()


def database_file(app: Flask) -> Path:
    """The SQLite file behind `app`."""
    return Path(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database or "")
