"""Routine database care, and least-privilege grants, per dialect."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from inkwell.dialects import maintenance_statements, outside_transactions
from inkwell.extensions import db
from inkwell.models import utcnow
from inkwell.models.base import AnalyticsBase
from inkwell.ops.backup.mysql import scratch_names
from inkwell.ops.catalog import record_checkpoint
from inkwell.services.views import shares_main_database

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def optimize() -> list[str]:
    """Refresh planner statistics and reclaim space; returns what was run.

    Runs outside any transaction, on the driver's own connection: VACUUM and
    checkpoints refuse to run inside one, and every cursor must be drained
    and closed before the next statement (SQLite will not checkpoint past an
    open one). Call it after the unit of work that used the session has ended.
    """
    statements = maintenance_statements(db.engine.dialect, db.metadata.tables)
    connection = db.engine.raw_connection()
    connection.detach()  # changed below, so never handed back to the pool
    try:
        outside_transactions(connection.dbapi_connection, db.engine.dialect)
        for statement in statements:
            cursor = connection.cursor()
            try:
                cursor.execute(statement)
                if cursor.description:
                    cursor.fetchall()
            finally:
                cursor.close()
    finally:
        connection.close()
    if db.engine.dialect.name == "sqlite":
        # SQLite records no time for checkpoints; the dashboard shows this one's.
        record_checkpoint(Path(current_app.instance_path), utcnow())
    return statements


def grants(
    dialect: str,
    database: str,
    app_user: str,
    migrate_user: str,
    *,
    tables: Collection[str] = (),
    append_only: Collection[str] = (),
) -> list[str]:
    """SQL that gives `migrate_user` the schema and `app_user` only the data.

    The app user can read and write rows but cannot create, alter or drop
    anything, so a compromised web process cannot change the schema; in the
    `append_only` tables (the audit log) it can only insert and read, so it
    cannot rewrite the record of what was done. PostgreSQL takes those
    privileges away per table whatever the order of this and the migrations
    (the migration that creates such a table takes them away too). MariaDB
    cannot subtract one table from a database-wide grant, so there the app
    user gets UPDATE and DELETE per table, on the `tables` that exist: run
    this again after `inkwell db upgrade`.
    """
    if dialect == "sqlite":
        raise ValueError("SQLite has no users: protect the database file with file permissions")
    for name in (app_user, migrate_user, database):
        if not IDENTIFIER.fullmatch(name):
            raise ValueError(f"{name!r} is not a plain SQL identifier")
    if app_user == migrate_user:
        raise ValueError("the app user and the migration user must differ")
    if dialect == "postgresql":
        return [
            # Run again after an upgrade, so the roles may exist already.
            *(
                f"DO $$ BEGIN CREATE ROLE {role} LOGIN; "
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
                for role in (migrate_user, app_user)
            ),
            f"-- then set their passwords: \\password {migrate_user} and \\password {app_user}",
            f"GRANT CONNECT ON DATABASE {database} TO {migrate_user}, {app_user};",
            f"GRANT USAGE, CREATE ON SCHEMA public TO {migrate_user};",
            f"GRANT USAGE ON SCHEMA public TO {app_user};",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {migrate_user} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app_user};",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {migrate_user} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {app_user};",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app_user};",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_user};",
            *(
                f"DO $$ BEGIN IF to_regclass('{table}') IS NOT NULL THEN "
                f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {app_user}; END IF; END $$;"
                for table in sorted(append_only)
            ),
        ]
    if dialect == "mysql":
        writable = sorted(set(tables) - set(append_only))
        return [
            f"CREATE USER IF NOT EXISTS '{migrate_user}'@'%' IDENTIFIED BY 'CHANGE-ME';",
            f"CREATE USER IF NOT EXISTS '{app_user}'@'%' IDENTIFIED BY 'CHANGE-ME';",
            f"GRANT ALL PRIVILEGES ON `{database}`.* TO '{migrate_user}'@'%';",
            f"GRANT SELECT, INSERT ON `{database}`.* TO '{app_user}'@'%';",
            *(
                f"GRANT UPDATE, DELETE ON `{database}`.`{table}` TO '{app_user}'@'%';"
                for table in writable
            ),
            *(
                ()
                if writable
                else ["-- no tables yet: run `inkwell db upgrade`, then this command again"]
            ),
            *(
                # A restore loads into, and swaps through, databases of its own.
                f"GRANT ALL PRIVILEGES ON `{_literal(scratch)}`.* TO '{migrate_user}'@'%';"
                for scratch in scratch_names(database)
            ),
        ]
    raise ValueError(f"no grants known for {dialect}")


def append_only_tables() -> list[str]:
    """The tables the application may only insert into and read (`info["append_only"]`)."""
    return sorted(
        name for name, table in db.metadata.tables.items() if table.info.get("append_only")
    )


def existing_tables() -> list[str]:
    """Inkwell's tables that exist in the configured database now: the analytics
    tables too while they share it (one of their own is granted with its own tools)."""
    present = set(sa.inspect(db.engine).get_table_names())
    ours = set(db.metadata.tables)
    if shares_main_database():
        ours |= set(AnalyticsBase.metadata.tables)
    return sorted(name for name in ours if name in present)


def server_database_name() -> str:
    """The name of the configured database (for grants)."""
    return str(sa.make_url(db.engine.url).database)


def _literal(name: str) -> str:
    """A database name as a GRANT means it: `_` alone would match any character."""
    return name.replace("_", "\\_")
