"""Both sets of migrations at once: the main database's and the analytics database's.

The analytics tables have their own Alembic environment (`migrations/analytics`),
so that they can live in a database of their own. Whoever upgrades or checks
the schema means both, so these do both, the main database first.
"""

from __future__ import annotations

from pathlib import Path

import flask_migrate
from alembic import command
from alembic.util import CommandError
from flask import current_app

MAIN_MIGRATIONS = Path(__file__).parents[1] / "migrations"
ANALYTICS_MIGRATIONS = MAIN_MIGRATIONS / "analytics"


class SchemaDrift(Exception):
    """A database's schema differs from the models."""


def upgrade(revision: str = "head", *, sql: bool = False) -> None:
    """Upgrade the main database to `revision` and the analytics database to its newest."""
    flask_migrate.upgrade(revision=revision, sql=sql)
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
    for name, directory in (("main", MAIN_MIGRATIONS), ("analytics", ANALYTICS_MIGRATIONS)):
        try:
            command.check(migrate.get_config(str(directory)))
        except CommandError as error:
            raise SchemaDrift(f"{name} database: {error}") from None
