"""SQLite: the online backup API, both ways.

Backing up, it copies a consistent snapshot while writers continue (WAL lets
them). Restoring, it replaces the live database's pages in one write
transaction: nothing is dropped first, and a copy that fails rolls back,
leaving the database as it was. The backup is checked whole
(`PRAGMA integrity_check`) before that, because a damaged page may only show
itself once read, and its size is checked against the pages its header
counts: SQLite reads the missing end of a cut file as zeros, so a file cut
within bytes its last page did not use passes every other check.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from inkwell.ops.backup.common import (
    BackupError,
    Mechanism,
    Target,
    require_inkwell,
    require_revision,
)


def backup(target: Target, path: Path) -> None:
    """Copy the live database into `path`."""
    try:
        with closing(_live(target)) as live, closing(sqlite3.connect(path)) as copy:
            live.backup(copy)
    except sqlite3.Error as err:
        raise BackupError(f"the SQLite backup failed: {err}") from None


def check(target: Target, path: Path) -> None:
    """Refuse a damaged file, or one that is not a migrated Inkwell database."""
    try:
        with closing(_read_only(path)) as backup:
            problems = [row[0] for row in backup.execute("PRAGMA integrity_check")]
            (pages,) = backup.execute("PRAGMA page_count").fetchone()
            (page_size,) = backup.execute("PRAGMA page_size").fetchone()
            tables = [row[0] for row in backup.execute(_TABLES)]
            revisions = (
                [row[0] for row in backup.execute("SELECT version_num FROM alembic_version")]
                if "alembic_version" in tables
                else []
            )
    except sqlite3.DatabaseError as err:
        raise BackupError(f"not a readable SQLite database ({err})") from None
    if problems != ["ok"]:
        raise BackupError(f"the SQLite database is damaged ({problems[0]})")
    size = path.stat().st_size
    if size != pages * page_size:
        raise BackupError(
            f"the SQLite database is cut short: {size:,} bytes, "
            f"where its {pages:,} pages of {page_size:,} take {pages * page_size:,}"
        )
    require_inkwell(tables)
    require_revision(revisions)


def restore(target: Target, path: Path) -> None:
    """Replace the live database with the backup, or leave it untouched."""
    try:
        with closing(_read_only(path)) as backup, closing(_live(target)) as live:
            backup.backup(live)
    except sqlite3.Error as err:
        raise BackupError(f"the SQLite restore failed ({err}); the database is unchanged") from None


MECHANISM = Mechanism(backup=backup, check=check, restore=restore)
_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"


def _live(target: Target) -> sqlite3.Connection:
    return sqlite3.connect(target.url.database or "")


def _read_only(path: Path) -> sqlite3.Connection:
    """`path` opened without writing to it or beside it: a backup copied from a WAL
    database says WAL in its header, and would otherwise grow -wal and -shm files."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
