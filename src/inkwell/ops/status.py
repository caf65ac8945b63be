"""Whether the database is reachable and its schema is at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from inkwell.dialects import driver_message
from inkwell.extensions import db
from inkwell.models.base import ANALYTICS
from inkwell.models.views import ANALYTICS_VERSION_TABLE
from inkwell.ops.schema import ANALYTICS_MIGRATIONS
from inkwell.services.views import shares_main_database

ALEMBIC_VERSION = sa.table("alembic_version", sa.column("version_num", sa.String))
PRODUCT_NAMES = {
    "postgresql": "PostgreSQL",
    "sqlite": "SQLite",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
}


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    """What `inkwell check` and readiness probes report about the database."""

    product: str
    server_version: str | None = None
    revision: str | None = None
    head: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Reachable and migrated to head."""
        return self.problem is None

    def describe(self) -> str:
        """One line for people."""
        server = f"{self.product} {self.server_version or ''}".strip()
        if self.server_version is None:
            return f"{server}: {self.problem}"
        migrations = f"migrations at {self.revision or 'none'} (head {self.head})"
        return f"{server}, {migrations}" + (f": {self.problem}" if self.problem else "")


def database_status() -> DatabaseStatus:
    """Connect once, read the server version and the applied revision, compare to head."""
    return _status(db.engine, migration_head(), "DATABASE_URL", "alembic_version")


def analytics_status() -> DatabaseStatus:
    """The analytics database, as `database_status` tells the main one: against its own
    migrations (`ops.schema`), whether it is the main database or one of its own."""
    setting = "DATABASE_URL" if shares_main_database() else "INKWELL_ANALYTICS_DATABASE_URL"
    return _status(db.engines[ANALYTICS], analytics_head(), setting, ANALYTICS_VERSION_TABLE)


def _status(engine: sa.Engine, head: str | None, setting: str, versions: str) -> DatabaseStatus:
    product = product_name(engine.dialect)
    if engine.dialect.name == "sqlite":
        # Connecting would make the folder (see dialects.configure_sqlite): report it.
        folder = Path(engine.url.database or "").parent
        if not folder.is_dir():
            missing = f"{setting}: the folder {folder} does not exist"
            return DatabaseStatus(product, problem=f"{missing} (`inkwell db upgrade` makes it)")
    try:
        with engine.connect() as connection:
            product = product_name(connection.dialect)  # MariaDB is known once connected
            version = server_version(connection)
            context = MigrationContext.configure(connection, opts={"version_table": versions})
            revision = context.get_current_revision()
    except sa.exc.DBAPIError as err:
        reason = driver_message(err)
        return DatabaseStatus(product, problem=f"{setting}: cannot connect: {reason}")
    problem = None
    if revision != head:
        problem = "migrations are not at head: run `inkwell db upgrade`"
    return DatabaseStatus(product, version, revision, head, problem)


def migration_head() -> str | None:
    """The newest revision shipped with this version of Inkwell (read once per app)."""
    return _head("inkwell.migration_head", None)


def analytics_head() -> str | None:
    """The newest revision of the analytics migrations (read once per app)."""
    return _head("inkwell.analytics_head", ANALYTICS_MIGRATIONS)


def _head(key: str, directory: Path | None) -> str | None:
    if key not in current_app.extensions:
        migrate = current_app.extensions["migrate"].migrate
        config = migrate.get_config(None if directory is None else str(directory))
        current_app.extensions[key] = ScriptDirectory.from_config(config).get_current_head()
    head_revision: str | None = current_app.extensions[key]
    return head_revision


def applied_revision(connection: sa.Connection) -> str | None:
    """The migration the database is at, in one statement (Alembic's own reader first
    asks whether its table exists, a second)."""
    return connection.scalar(sa.select(ALEMBIC_VERSION.c.version_num))


def product_name(dialect: sa.Dialect) -> str:
    """PostgreSQL, SQLite, MySQL or MariaDB."""
    if getattr(dialect, "is_mariadb", False):
        return "MariaDB"
    return PRODUCT_NAMES.get(dialect.name, dialect.name)


def server_version(connection: sa.Connection) -> str:
    """The server's version, as the driver read it when connecting (no statement)."""
    info = connection.dialect.server_version_info or ()
    return ".".join(str(part) for part in info)


def count_rows(model: Any) -> int:
    """How many rows a table holds."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
