"""What each database's own catalog says about it: sizes of tables and indexes, and the
statements running now. One small function per database and concern.

Everything is read from catalog tables, statistics and files, never by
counting rows, so it costs the same at a thousand articles as at a million.
Row counts are the planner's estimates (PostgreSQL's `reltuples`, InnoDB's
`TABLE_ROWS`). Every statement is fixed text with bound parameters, so the
dashboard runs the same number of statements whatever the data.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from inkwell.dialects import family

RUNNING_LIMIT = 20
STATEMENT_PREVIEW = 300
CHECKPOINT_RECORD = "sqlite-checkpointed-at"


@dataclass(frozen=True, slots=True)
class TableSize:
    """A table's bytes (data, and its indexes) and its estimated rows, where known."""

    name: str
    rows: int | None
    data_bytes: int | None
    index_bytes: int | None

    @property
    def total_bytes(self) -> int | None:
        """Data and indexes together."""
        if self.data_bytes is None:
            return None
        return self.data_bytes + (self.index_bytes or 0)


@dataclass(frozen=True, slots=True)
class IndexSize:
    """An index's bytes, where known."""

    name: str
    table: str
    bytes: int | None


@dataclass(frozen=True, slots=True)
class Sizes:
    """Every table and index, largest first, and what the database could not tell."""

    tables: list[TableSize]
    indexes: list[IndexSize]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Running:
    """A statement another connection runs now."""

    pid: int
    user: str | None
    state: str | None
    seconds: float | None
    waiting: str | None
    statement: str | None


def sizes(connection: sa.Connection) -> Sizes:
    """The sizes of the database's tables and indexes (one statement; two on MariaDB)."""
    name = family(connection.dialect.name)
    if name == "postgresql":
        found = _postgresql_sizes(connection)
    elif name == "mysql":
        found = _mariadb_sizes(connection)
    else:
        found = _sqlite_sizes(connection)
    return Sizes(
        sorted(found.tables, key=lambda t: (-(t.total_bytes or 0), t.name)),
        sorted(found.indexes, key=lambda i: (-(i.bytes or 0), i.name)),
        found.note,
    )


def running(connection: sa.Connection) -> list[Running] | None:
    """The statements other connections to this database run now, longest first (one
    statement); None on SQLite, which has no server to ask."""
    name = family(connection.dialect.name)
    if name == "postgresql":
        return _postgresql_running(connection)
    if name == "mysql":
        return _mariadb_running(connection)
    return None


POSTGRESQL_SIZES = sa.text("""
    SELECT c.relname, c.relkind, t.relname, c.reltuples,
           CASE WHEN c.relkind = 'i' THEN pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END,
           CASE WHEN c.relkind = 'i' THEN NULL ELSE pg_indexes_size(c.oid) END
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_index i ON i.indexrelid = c.oid
    LEFT JOIN pg_class t ON t.oid = i.indrelid
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'i')
""")


def _postgresql_sizes(connection: sa.Connection) -> Sizes:
    tables, indexes = [], []
    for name, kind, table, rows, size, index_size in connection.execute(POSTGRESQL_SIZES):
        if kind == "i":
            indexes.append(IndexSize(name, table, size))
        else:
            # reltuples is -1 until the table is first vacuumed or analysed.
            estimate = int(rows) if rows is not None and rows >= 0 else None
            tables.append(TableSize(name, estimate, size, index_size))
    return Sizes(tables, indexes)


MARIADB_TABLES = sa.text("""
    SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH
    FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
""")
MARIADB_INDEXES = sa.text("""
    SELECT table_name, index_name, stat_value * @@innodb_page_size
    FROM mysql.innodb_index_stats
    WHERE database_name = DATABASE() AND stat_name = 'size'
""")


def _mariadb_sizes(connection: sa.Connection) -> Sizes:
    tables = [
        TableSize(name, _int(rows), _int(data), _int(index))
        for name, rows, data, index in connection.execute(MARIADB_TABLES)
    ]
    try:
        found = connection.execute(MARIADB_INDEXES).all()
    except sa.exc.DBAPIError:
        note = (
            "Sizes of single indexes need SELECT on mysql.innodb_index_stats, which this "
            "account lacks; each table's indexes are shown together."
        )
        return Sizes(tables, [], note)
    indexes = [IndexSize(index, table, _int(size)) for table, index, size in found]
    note = "InnoDB's figures are estimates, refreshed as its statistics are."
    return Sizes(tables, indexes, note)


SQLITE_SIZES = sa.text("""
    SELECT m.name, m.type, m.tbl_name, d.pgsize
    FROM sqlite_master m
    LEFT JOIN (SELECT name, pgsize FROM dbstat WHERE aggregate = 1) d ON d.name = m.name
    WHERE m.type IN ('table', 'index')
""")
SQLITE_NAMES = sa.text("""
    SELECT name, type, tbl_name, NULL FROM sqlite_master WHERE type IN ('table', 'index')
""")


@cache
def sqlite_has_dbstat() -> bool:
    """Whether the SQLite library Python uses was built with the `dbstat` table, which
    is the only way to learn the size of each table and index."""
    with sqlite3.connect(":memory:") as probe:
        options = {row[0] for row in probe.execute("PRAGMA compile_options")}
    return "ENABLE_DBSTAT_VTAB" in options


def _sqlite_sizes(connection: sa.Connection) -> Sizes:
    counted = sqlite_has_dbstat()
    rows = connection.execute(SQLITE_SIZES if counted else SQLITE_NAMES).all()
    index_bytes: dict[str, int] = {}
    indexes = []
    for name, kind, table, size in rows:
        if kind == "index":
            indexes.append(IndexSize(name, table, size))
            index_bytes[table] = index_bytes.get(table, 0) + (size or 0)
    tables = [
        TableSize(name, None, size, index_bytes.get(name, 0) if counted else None)
        for name, kind, _table, size in rows
        if kind == "table"
    ]
    note = (
        "SQLite keeps no row estimates; sizes are the pages each table and index "
        "holds (the dbstat table reads every page, so this grows with the file)."
        if counted
        else "This SQLite was built without the dbstat table, so it cannot tell the size "
        "of each table or index; the file's size is below."
    )
    return Sizes(tables, indexes, note)


POSTGRESQL_RUNNING = sa.text("""
    SELECT pid, usename, state, EXTRACT(EPOCH FROM clock_timestamp() - query_start),
           wait_event_type, wait_event, left(query, :preview)
    FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND backend_type = 'client backend' AND state <> 'idle'
    ORDER BY query_start
    LIMIT :limit
""")


def _postgresql_running(connection: sa.Connection) -> list[Running]:
    found = connection.execute(
        POSTGRESQL_RUNNING, {"preview": STATEMENT_PREVIEW, "limit": RUNNING_LIMIT}
    )
    return [
        Running(
            pid,
            user,
            state,
            float(seconds) if seconds is not None else None,
            f"{wait_type}: {wait}" if wait_type else None,
            statement,
        )
        for pid, user, state, seconds, wait_type, wait, statement in found
    ]


MARIADB_RUNNING = sa.text("""
    SELECT ID, USER, COMMAND, TIME_MS, STATE, LEFT(INFO, :preview)
    FROM information_schema.PROCESSLIST
    WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND NOT IN ('Sleep', 'Daemon')
    ORDER BY TIME_MS DESC
    LIMIT :limit
""")


def _mariadb_running(connection: sa.Connection) -> list[Running]:
    found = connection.execute(
        MARIADB_RUNNING, {"preview": STATEMENT_PREVIEW, "limit": RUNNING_LIMIT}
    )
    return [
        Running(
            int(pid),
            user,
            command,
            float(ms) / 1000 if ms is not None else None,
            state or None,
            statement,
        )
        for pid, user, command, ms, state, statement in found
    ]


@dataclass(frozen=True, slots=True)
class SqliteFiles:
    """The SQLite database file, its write-ahead log, and Inkwell's last checkpoint."""

    database_bytes: int | None
    wal_bytes: int | None
    checkpointed_at: datetime | None


def sqlite_files(database: Path, instance: Path) -> SqliteFiles:
    """Read from the files themselves: asking SQLite (`PRAGMA wal_checkpoint`) would
    checkpoint, a write, and SQLite records no time for its own checkpoints."""
    return SqliteFiles(
        _file_size(database),
        _file_size(Path(f"{database}-wal")),
        _recorded_checkpoint(instance / CHECKPOINT_RECORD),
    )


def record_checkpoint(instance: Path, moment: datetime) -> None:
    """Note that Inkwell checkpointed the SQLite database at `moment` (`inkwell db maintain`)."""
    instance.mkdir(parents=True, exist_ok=True)
    (instance / CHECKPOINT_RECORD).write_text(moment.astimezone(UTC).isoformat() + "\n")


def _recorded_checkpoint(path: Path) -> datetime | None:
    try:
        return datetime.fromisoformat(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _int(value: Any) -> int | None:
    """A figure MariaDB may give as an integer, a Decimal or NULL."""
    return None if value is None else int(value)
