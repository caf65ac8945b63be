"""PostgreSQL: `pg_dump --format=custom` (one snapshot), put back by `pg_restore`.

A restore is one transaction: `--clean --if-exists` drops each table the
backup holds just before recreating it, and `--single-transaction` rolls all
of it back when anything fails, a truncated archive included, so the database
keeps its content. The archive's table of contents is read first
(`pg_restore --list`), which refuses a file that is no archive at all before
any statement runs. Tables of the current schema that the backup does not
hold (it predates their migration) are dropped once the restore has
committed, so the restored revision can be upgraded again.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from inkwell.dialects import driver_message
from inkwell.extensions import db
from inkwell.ops.backup.common import (
    BackupError,
    Mechanism,
    Target,
    inkwell_tables,
    require_inkwell,
    run,
)

# A table's entry in `pg_restore --list`: "214; 1259 30461 TABLE public users owner".
TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )\S+ (\S+) ", re.MULTILINE)


def backup(target: Target, path: Path) -> None:
    """Dump the database into `path` (which exists, and keeps its mode)."""
    run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}", *_pg_args(target)], target)


def check(target: Target, path: Path) -> None:
    """Refuse a file whose table of contents cannot be read, or is not Inkwell's."""
    require_inkwell(_tables_in(target, path))


def restore(target: Target, path: Path) -> None:
    """Replace the backup's tables in one transaction, then drop the ones it lacks."""
    present = set(sa.inspect(db.engine).get_table_names()) & inkwell_tables()
    leftovers = present - _tables_in(target, path)
    command = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
    ]
    try:
        run([*command, *_pg_args(target), str(path)], target)
    except BackupError as err:
        raise BackupError(f"{err}; the database is unchanged") from None
    if leftovers:
        _drop(sorted(leftovers))


MECHANISM = Mechanism(backup=backup, check=check, restore=restore)


def _tables_in(target: Target, path: Path) -> set[str]:
    listing = run(["pg_restore", "--list", str(path)], target).decode(errors="replace")
    return set(TABLE_ENTRY.findall(listing))


def _drop(tables: list[str]) -> None:
    quote = db.engine.dialect.identifier_preparer.quote_identifier
    names = ", ".join(quote(name) for name in tables)
    try:
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE {names}")
    except sa.exc.DBAPIError as err:
        raise BackupError(
            f"restored, but the tables the backup lacks ({', '.join(tables)}) could not be "
            f"dropped: {driver_message(err)}"
        ) from None


def _pg_args(target: Target) -> list[str]:
    url = target.url
    args = [f"--dbname={url.database}"]
    # With no user in the URL, the tools pick the same default the app's driver
    # did (libpq's: PGUSER, else the operating-system user).
    if url.username:
        args.append(f"--username={url.username}")
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    return args
