"""PostgreSQL: `pg_dump --format=custom` (one snapshot), put back by `pg_restore`.

A restore is one transaction: `pg_restore --clean --if-exists` writes the
script that drops each table the backup holds just before recreating it,
and `psql --single-transaction` runs it after dropping the tables of the
current schema that the backup does not hold (it predates their migration,
so the restored revision can be upgraded again; they go first because they
may refer to the tables being replaced). When anything fails, a truncated
archive included, all of it rolls back and the database keeps its content.
The archive's table of contents is read first (`pg_restore --list`), which
refuses a file that is no archive at all before any statement runs.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import sqlalchemy as sa

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
    """Drop the tables the backup lacks and replace the ones it holds, in one transaction."""
    present = set(sa.inspect(db.engine).get_table_names()) & inkwell_tables()
    leftovers = sorted(present - _tables_in(target, path))
    with tempfile.TemporaryDirectory(prefix="inkwell-restore-") as folder:
        script = Path(folder) / "restore.sql"
        writer = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges"]
        runner = ["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction"]
        if leftovers:
            runner.append(f"--command=DROP TABLE {_names(leftovers)}")
        try:
            run([*writer, f"--file={script}", str(path)], target)
            run([*runner, f"--file={script}", *_pg_args(target)], target)
        except BackupError as err:
            raise BackupError(f"{err}; the database is unchanged") from None


MECHANISM = Mechanism(backup=backup, check=check, restore=restore)


def _tables_in(target: Target, path: Path) -> set[str]:
    listing = run(["pg_restore", "--list", str(path)], target).decode(errors="replace")
    return set(TABLE_ENTRY.findall(listing))


def _names(tables: list[str]) -> str:
    """The tables as one SQL list, each name quoted."""
    quote = db.engine.dialect.identifier_preparer.quote_identifier
    return ", ".join(quote(name) for name in tables)


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
