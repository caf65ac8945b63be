"""Both sets of migrations at once: the main database's and the analytics database's.

The analytics tables have their own Alembic environment (`migrations/analytics`),
so that they can live in a database of their own. Whoever upgrades or checks
the schema means both, so these do both, the main database first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from alembic import command
from alembic.util import CommandError
from flask import current_app

from inkwell.dialects import driver_message
from inkwell.services.views import shares_main_database

MAIN_MIGRATIONS = Path(__file__).parents[1] / "migrations"
ANALYTICS_MIGRATIONS = MAIN_MIGRATIONS / "analytics"


class SchemaDrift(Exception):
    """A database's schema differs from the models."""


class AnalyticsUnavailable(Exception):
    """An analytics database of its own cannot be used; the message names its setting."""


@contextmanager
def on_analytics() -> Iterator[None]:
    """Work on the analytics database: when one of its own cannot be reached, say so
    by its setting rather than as the main database's failure."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
        if shares_main_database():
            raise
        reason = driver_message(error)
        raise AnalyticsUnavailable(
            f"INKWELL_ANALYTICS_DATABASE_URL: cannot use the database: {reason}"
        ) from None


def upgrade(revision: str = "head", *, sql: bool = False) -> None:
    """Upgrade the main database to `revision` and the analytics database to its newest."""
    flask_migrate.upgrade(revision=revision, sql=sql)
    with on_analytics():
        flask_migrate.upgrade(directory=str(ANALYTICS_MIGRATIONS), sql=sql)


def downgrade_all() -> None:
    """Take both databases back to before their first migration (for tests of the
    migrations themselves; nobody's data survives it)."""
    flask_migrate.downgrade(directory=str(ANALYTICS_MIGRATIONS), revision="base")
    flask_migrate.downgrade(revision="base")


def check() -> None:
    """SchemaDrift naming the database whose schema differs from the models (or has
    migrations to run)."""
    migrate = current_app.extensions["migrate"].migrate
    try:
        command.check(migrate.get_config(str(MAIN_MIGRATIONS)))
    except CommandError as error:
        raise SchemaDrift(f"main database: {error}") from None
    with on_analytics():
        try:
            command.check(migrate.get_config(str(ANALYTICS_MIGRATIONS)))
        except CommandError as error:
            raise SchemaDrift(f"analytics database: {error}") from None
