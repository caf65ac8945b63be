"""Where SQLite, PostgreSQL and MariaDB genuinely differ: one small function per concern.

Everything else in Inkwell is written once for SQLAlchemy. Each function
here is chosen by the dialect of the engine or connection it is given, and
`tests/db/test_dialects.py` runs it on all three databases. MariaDB and MySQL
share SQLAlchemy's `mysql` dialect name.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# SQLite virtual-machine instructions between two looks at the clock while a statement
# runs: some 70 microseconds of work, so a statement overshoots its deadline by that
# much at most, and the looks (Python calls) cost under 1% of a long statement's time.
SQLITE_CLOCK_INSTRUCTIONS = 10_000
MARIADB_STATEMENT_TIMEOUT = 1969  # "max_statement_time exceeded"
POSTGRESQL_QUERY_CANCELED = "57014"  # statement_timeout, or a cancel request


def family(name: str) -> str:
    """The family of a dialect or backend name: `mysql` for MariaDB too.

    SQLAlchemy names the dialect `mariadb` when the URL says `mariadb://` and
    `mysql` otherwise; Inkwell treats both servers alike.
    """
    return "mysql" if name == "mariadb" else name


def engine_options(url: sa.URL) -> dict[str, Any]:
    """Engine options a dialect needs beyond the pool settings.

    MariaDB gets PostgreSQL's default isolation, READ COMMITTED: under its own
    REPEATABLE READ, a request that loses a race to insert a row (a new tag)
    cannot then read the winner's row, because its snapshot predates the
    other commit.
    """
    if family(url.get_backend_name()) == "mysql":
        return {"isolation_level": "READ COMMITTED"}
    return {}


def reads_without_transaction(dialect: sa.Dialect) -> bool:
    """Whether units that only read should run without a transaction (autocommit).

    On PostgreSQL that saves the `BEGIN` and `COMMIT` round trips, and psycopg
    switches autocommit without a statement. PyMySQL switches it with one, and
    SQLite's transactions cost no round trip, so both keep theirs.
    """
    return dialect.name == "postgresql"


def url_problem(url: sa.URL) -> str | None:
    """What is wrong with a driver option in `url` that the driver would only
    stumble on when it first connects (with a traceback rather than a message)."""
    charset = url.query.get("charset")
    if family(url.get_backend_name()) == "mysql" and isinstance(charset, str):
        from pymysql.charset import charset_by_name

        if charset_by_name(charset) is None:
            return f"unknown MariaDB character set {charset!r} (use utf8mb4)"
    return None


def configure_sqlite(
    engine: sa.Engine, busy_timeout_ms: int, takes_write_lock: Callable[[], bool]
) -> None:
    """Give every SQLite connection WAL, foreign keys, a busy timeout and real transactions.

    Python 3.11's sqlite3 module opens transactions lazily and never around
    SAVEPOINT, which breaks nested transactions; SQLAlchemy's documented remedy
    is to turn that off and emit BEGIN ourselves. Which BEGIN is asked of
    `takes_write_lock`, the current unit of work's declaration: a unit that
    writes takes the write lock up front (`BEGIN IMMEDIATE`, waiting up to the
    busy timeout for it), because a deferred transaction that reads and then
    writes fails at once with "database is locked" when another writer
    committed in between, busy timeout or not. A unit that only reads never
    waits for writers. Writers take turns before asking SQLite for the lock
    (`queue_sqlite_writers`).
    """
    if engine.dialect.name != "sqlite":
        return
    folder = Path(engine.url.database or "").parent

    @event.listens_for(engine, "do_connect")
    def _make_folder(*_args: Any) -> None:
        # SQLite makes the file on first use, but not the folder it goes in.
        folder.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    take_turn = queue_sqlite_writers(engine, busy_timeout_ms)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if takes_write_lock():
            take_turn(connection)
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


# Where a pooled SQLite connection records that it holds the writers' turn.
_TURN = "inkwell_writer_turn"
# How often a process's next writer looks whether another process's writer is done.
TURN_POLL_SECONDS = 0.0005


def queue_sqlite_writers(engine: sa.Engine, timeout_ms: int) -> Callable[[sa.Connection], None]:
    """A turn for `engine`'s writers, held from `BEGIN IMMEDIATE` until the connection
    returns to the pool; the function that takes it for a connection.

    SQLite's busy handler sleeps in growing steps (up to 100 ms a sleep)
    while another writer holds the lock, so a waiting writer wakes late, and
    one that keeps losing the race can wait for seconds while others come
    and go. Threads of one process instead wait on a lock, which wakes the
    next one as soon as the holder is done. The one writer of each process
    that holds it then waits for the other processes' on a lock file beside
    the database, looking every half millisecond: a fixed short step, where
    the busy handler's would grow. SQLite's busy timeout still covers writers
    outside Inkwell. The turn ends when the connection is checked in, which
    every path does: commit, rollback, a failed `BEGIN`, an invalidated
    connection. A writer that waits longer than `timeout_ms` fails as
    SQLite's own busy timeout would ("database is locked").
    """
    turn = threading.Lock()
    database = engine.url.database
    lock_file = f"{database}-writers" if database and database != ":memory:" else None
    opened: dict[int, int] = {}  # process id -> descriptor: each process locks its own

    def file_descriptor() -> int | None:
        if lock_file is not None and os.getpid() not in opened:
            opened[os.getpid()] = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        return opened.get(os.getpid())

    @event.listens_for(engine, "checkin")
    def _end_turn(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_TURN, False):
            descriptor = file_descriptor()
            if descriptor is not None:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
            turn.release()

    def busy() -> sa.exc.OperationalError:
        waited = sqlite3.OperationalError("database is locked (waiting for other writers)")
        return sa.exc.OperationalError("BEGIN IMMEDIATE", None, waited)

    def other_processes_done(descriptor: int, deadline: float) -> bool:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(TURN_POLL_SECONDS)

    def take_turn(connection: sa.Connection) -> None:
        if connection.info.get(_TURN):  # a second transaction on the same checkout
            return
        deadline = time.monotonic() + timeout_ms / 1000
        if not turn.acquire(timeout=timeout_ms / 1000):
            raise busy()
        try:
            descriptor = file_descriptor()
            if descriptor is not None and not other_processes_done(descriptor, deadline):
                raise busy()
        except BaseException:
            turn.release()
            raise
        connection.info[_TURN] = True

    return take_turn


def bound_connecting(engine: sa.Engine, seconds: int) -> None:
    """Give up connecting to PostgreSQL or MariaDB after `seconds`.

    A server that takes connections but never answers (hung, or behind a
    firewall that drops packets) then costs a request a 503, not a worker
    waiting for ever. libpq's `connect_timeout` bounds the whole start-up;
    PyMySQL's bounds only the TCP connect, and the server's greeting is read
    under its `read_timeout`: that is set to `seconds` for the handshake and
    put back once connected, so it never cuts off a long statement (through
    a private attribute: PyMySQL has no public way). SQLite opens a file: its
    `timeout` is the busy timeout.
    """
    name = family(engine.dialect.name)
    if name == "sqlite":
        return

    @event.listens_for(engine, "do_connect")
    def _connect(
        dialect: sa.Dialect, _record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> Any:
        cparams["connect_timeout"] = seconds
        if name != "mysql":
            return None
        reading = cparams.get("read_timeout")  # the URL's own, if it sets one
        connection = dialect.connect(*cargs, **cparams | {"read_timeout": seconds})
        connection._read_timeout = reading
        return connection


def bound_statements(engine: sa.Engine, timeout_ms: int) -> None:
    """Have every statement on `engine` cut off after `timeout_ms` (0: never).

    Set once per connection, so requests pay no round trip for it:
    PostgreSQL takes `statement_timeout` as a start-up option, MariaDB its
    `max_statement_time` (in seconds) from one statement once connected.
    SQLite has no such setting; a progress handler looks at the clock while a
    statement runs and interrupts it past its deadline, which each statement
    moves as it starts. A statement cut off fails on its own: the connection
    stays healthy (see `is_statement_timeout`).
    """
    if timeout_ms == 0:
        return
    name = family(engine.dialect.name)
    if name == "postgresql":

        @event.listens_for(engine, "do_connect")
        def _start_with_timeout(
            _dialect: sa.Dialect, _record: Any, _cargs: list[Any], cparams: dict[str, Any]
        ) -> None:
            given = cparams.get("options")  # the URL's own, such as a search_path
            cparams["options"] = " ".join(
                filter(None, (given, f"-c statement_timeout={timeout_ms}"))
            )

    elif name == "mysql":

        @event.listens_for(engine, "connect")
        def _set_timeout(dbapi_connection: Any, _record: Any) -> None:
            with closing(dbapi_connection.cursor()) as cursor:
                cursor.execute(f"SET SESSION max_statement_time = {timeout_ms / 1000}")

    else:
        _interrupt_slow_sqlite_statements(engine, timeout_ms / 1000)


class _Deadline:
    """When the statement running on one SQLite connection must stop."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = math.inf

    def start(self) -> None:
        self.at = time.monotonic() + self.seconds

    def passed(self) -> bool:
        return time.monotonic() > self.at


def _interrupt_slow_sqlite_statements(engine: sa.Engine, seconds: float) -> None:
    """Interrupt a statement `seconds` after it started; sqlite3 then raises
    "interrupted". The clock starts as SQLAlchemy executes the statement and
    keeps running while its rows are fetched, since SQLite computes them then.
    Statements SQLAlchemy does not execute (COMMIT, the pool's ping) run too
    few instructions to reach the handler."""

    @event.listens_for(engine, "connect")
    def _watch(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        deadline = record.info["inkwell.deadline"] = _Deadline(seconds)
        dbapi_connection.set_progress_handler(deadline.passed, SQLITE_CLOCK_INSTRUCTIONS)

    @event.listens_for(engine, "before_cursor_execute")
    def _start_clock(connection: sa.Connection, *_args: Any) -> None:
        connection.info["inkwell.deadline"].start()


def driver_message(error: sa.exc.DBAPIError) -> str:
    """The first line of what the driver said, for a one-line report.

    PyMySQL's errors are `(code, message)` pairs; sqlite3's and psycopg's carry
    the message alone, so the last argument is the message for all three.
    """
    args = getattr(error.orig, "args", ())
    said = str(args[-1] if args else (error.orig or error)).strip()
    return said.splitlines()[0] if said else type(error.orig or error).__name__


def is_busy(error: sa.exc.DBAPIError) -> bool:
    """Whether `error` means another writer held the database longer than we waited.

    Only SQLite locks the whole database; the servers wait on row locks and
    report a timeout as such.
    """
    return isinstance(error.orig, sqlite3.OperationalError) and "locked" in str(error.orig)


# Lock conflicts a transaction may simply try again: PostgreSQL's deadlock and
# serialization failure (SQLSTATE), MariaDB's deadlock and lock wait timeout (errno).
POSTGRESQL_LOCK_CONFLICTS = frozenset({"40P01", "40001"})
MARIADB_LOCK_CONFLICTS = frozenset({1213, 1205})


def is_lock_conflict(error: sa.exc.DBAPIError) -> bool:
    """Whether `error` is a transaction losing to another over locks (a deadlock, a lock
    wait timed out, SQLite busy): nothing wrong with it, so it may be tried again."""
    if is_busy(error):
        return True
    cause = error.orig
    if getattr(cause, "sqlstate", None) in POSTGRESQL_LOCK_CONFLICTS:
        return True
    args: tuple[Any, ...] = getattr(cause, "args", ())
    return not isinstance(cause, sqlite3.Error) and args[:1] in {
        (code,) for code in MARIADB_LOCK_CONFLICTS
    }


def is_statement_timeout(error: sa.exc.DBAPIError) -> bool:
    """Whether `error` is a statement the database cut off (`bound_statements`).

    PostgreSQL cancels it (SQLSTATE 57014), MariaDB interrupts it (error
    1969), SQLite's progress handler interrupts it. None of them is a lost
    connection: a rollback makes the connection usable again, and the pool
    keeps it.
    """
    cause = error.orig
    if isinstance(cause, sqlite3.OperationalError):
        return str(cause) == "interrupted"
    if getattr(cause, "sqlstate", None) == POSTGRESQL_QUERY_CANCELED:
        return True
    args: tuple[Any, ...] = getattr(cause, "args", ())
    return args[:1] == (MARIADB_STATEMENT_TIMEOUT,)  # PyMySQL's are (code, message)


def violated_field(err: IntegrityError, table: str, columns: Mapping[str, str]) -> str | None:
    """Which of `columns` a unique violation concerns, from the driver's message.

    SQLite names `table.column`; PostgreSQL and MariaDB name the constraint,
    which the naming convention makes `uq_table_column`.
    """
    message = str(err.orig)
    for column, field in columns.items():
        if f"{table}.{column}" in message or f"uq_{table}_{column}" in message:
            return field
    return None


def sync_id_sequences(connection: sa.Connection, *models: Any) -> None:
    """Move PostgreSQL's id sequences past ids that were written explicitly (by
    seeding, import or restore). SQLite and MariaDB advance their counters by
    themselves."""
    if connection.dialect.name != "postgresql":
        return
    for model in models:
        following = (connection.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
        sequence = sa.func.pg_get_serial_sequence(model.__tablename__, "id")
        connection.execute(sa.select(sa.func.setval(sequence, following, False)))


class _ByteLength(FunctionElement[int]):
    """`byte_length()`, compiled for each database below."""

    type = sa.Integer()
    inherit_cache = True
    name = "byte_length"


@compiles(_ByteLength)
def _length(element: _ByteLength, compiler: SQLCompiler, **kw: Any) -> str:
    return f"length({compiler.process(element.clauses, **kw)})"  # bytes on MariaDB


@compiles(_ByteLength, "postgresql")
def _octet_length(element: _ByteLength, compiler: SQLCompiler, **kw: Any) -> str:
    return f"octet_length({compiler.process(element.clauses, **kw)})"


@compiles(_ByteLength, "sqlite")
def _blob_length(element: _ByteLength, compiler: SQLCompiler, **kw: Any) -> str:
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"


def byte_length(text: sa.ColumnExpressionArgument[str]) -> sa.ColumnElement[int]:
    """How many bytes (UTF-8) a text value takes, measured as cheaply as each database can.

    PostgreSQL's `octet_length` reads a compressed value's size from its
    header instead of decompressing it (twenty 200 KB HTML bodies: 0.3 ms
    rather than 7); SQLite's `length` of the value as a BLOB skips counting
    its characters (three times faster); MariaDB's `LENGTH` counts bytes.
    """
    return _ByteLength(text)


class _Names(sa.types.TypeDecorator[list[str]]):
    """A list of names as each database aggregates it: an array from PostgreSQL,
    JSON text from SQLite and MariaDB, NULL when there is none. Read back
    sorted, so every database gives the same order whatever its collation."""

    impl = sa.Text
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> list[str]:
        names = json.loads(value) if isinstance(value, str) else value
        return sorted(names or ())


class _NameList(FunctionElement[list[str]]):
    """`name_list()`, compiled for each database below."""

    type = _Names()
    inherit_cache = True
    name = "name_list"


@compiles(_NameList)
def _json_group_array(element: _NameList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(_NameList, "postgresql")
def _array_agg(element: _NameList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"array_agg({compiler.process(element.clauses, **kw)})"


@compiles(_NameList, "mysql")
@compiles(_NameList, "mariadb")
def _json_arrayagg(element: _NameList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"JSON_ARRAYAGG({compiler.process(element.clauses, **kw)})"


def name_list(column: sa.ColumnExpressionArgument[str]) -> sa.ColumnElement[list[str]]:
    """An aggregate of `column` into one list value, read back as a sorted `list[str]`.

    Lets a row carry its tags, so a list's page and its tags travel in one
    statement instead of two.
    """
    return _NameList(column)


class _Day(sa.types.TypeDecorator[date]):
    """A calendar day as each database returns it: a date, or SQLite's ISO text."""

    impl = sa.Date
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else value


class _UTCDay(FunctionElement[date]):
    """`utc_day()`, compiled for each database below."""

    type = _Day()
    inherit_cache = True
    name = "utc_day"


@compiles(_UTCDay)
def _date_of_naive_utc(element: _UTCDay, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(_UTCDay, "postgresql")
def _date_in_utc(element: _UTCDay, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


def utc_day(column: sa.ColumnExpressionArgument[datetime]) -> sa.ColumnElement[date]:
    """The UTC calendar day of a timestamp column, whatever the session's time zone.

    SQLite and MariaDB store UTC without a zone, so their `date()` is the UTC
    day; PostgreSQL keeps the zone and would give the session's day.
    """
    return _UTCDay(column)


def snapshot_options(dialect: sa.Dialect) -> dict[str, Any]:
    """Execution options for a long read that must see one consistent state.

    The servers need REPEATABLE READ for that; a SQLite transaction already
    reads one snapshot of the WAL from its first statement to its end.
    """
    return {} if dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}


def maintenance_statements(dialect: sa.Dialect, tables: Iterable[str]) -> list[str]:
    """What refreshes planner statistics and reclaims space, run outside a transaction."""
    if dialect.name == "postgresql":
        return ["VACUUM (ANALYZE)"]
    if family(dialect.name) == "mysql":
        names = ", ".join(f"`{name}`" for name in sorted(tables))
        # OPTIMIZE rebuilds InnoDB tables, FULLTEXT indexes included, and a rebuilt
        # index takes the session's stop-word setting: the search index is built
        # without a stop-word list (`inkwell.fulltext`) and must stay so.
        return [
            "SET SESSION innodb_ft_enable_stopword = OFF",
            f"ANALYZE TABLE {names}",
            f"OPTIMIZE TABLE {names}",
        ]
    return ["PRAGMA optimize", "PRAGMA wal_checkpoint(TRUNCATE)"]


def outside_transactions(dbapi_connection: Any, dialect: sa.Dialect) -> None:
    """Let `dbapi_connection` run statements that refuse to run in a transaction
    (VACUUM). psycopg opens one implicitly unless told not to; SQLite's
    connections run with the driver's transaction handling off already, and
    PyMySQL autocommits maintenance statements."""
    if dialect.name == "postgresql":
        dbapi_connection.autocommit = True


def insert_new(
    dialect: sa.Dialect, table: sa.Table, rows: list[dict[str, Any]], *returning: sa.Column[Any]
) -> sa.Insert:
    """An INSERT of `rows` that leaves out each row whose key is taken, and returns
    `returning` of the rows it did insert: which of a batch were new, in one statement,
    without an error (and its aborted transaction) for the others, even when a
    concurrent transaction inserts the same key."""
    if family(dialect.name) == "mysql":
        return sa.insert(table).values(rows).prefix_with("IGNORE").returning(*returning)
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    return insert(table).values(rows).on_conflict_do_nothing().returning(*returning)


def add_to_counts(
    dialect: sa.Dialect, table: sa.Table, rows: list[dict[str, Any]], counted: str
) -> sa.Insert:
    """An INSERT of `rows` that, for a row whose primary key exists, adds its `counted`
    to the stored one instead: counts kept by many writers without reading them first."""
    column = table.c[counted]
    if family(dialect.name) == "mysql":
        upsert = mysql.insert(table).values(rows)
        return upsert.on_duplicate_key_update({counted: column + upsert.inserted[counted]})
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(rows)
    return statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={counted: column + statement.excluded[counted]},
    )
