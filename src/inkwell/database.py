"""What Inkwell adds to SQLAlchemy's engine and session, per concern.

Dialect differences live here, each behind one small function: SQLite's
connection pragmas and transaction handling, and recognising which unique
constraint a failed insert broke.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from inkwell.extensions import db
from inkwell.services.errors import Conflict


def configure_sqlite(engine: sa.Engine, busy_timeout_ms: int) -> None:
    """Give every SQLite connection WAL, foreign keys, a busy timeout and real transactions.

    Python 3.11's sqlite3 module opens transactions lazily and never around
    SAVEPOINT, which breaks nested transactions; SQLAlchemy's documented remedy
    is to turn that off and emit BEGIN ourselves.
    """

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

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A request that writes takes the write lock up front: a deferred
        # transaction that reads, then writes, fails at once with "database is
        # locked" when another writer committed in between, busy timeout or not.
        writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def conflicts_as(table: str, columns: Mapping[str, str]) -> Iterator[None]:
    """Flush the block's changes in a savepoint; a unique violation raises `Conflict`.

    `columns` maps a unique column of `table` to the field named in the error
    (`{"username_key": "username"}`). The savepoint keeps the surrounding
    transaction usable after the violation on every dialect.
    """
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as err:
        field = violated_field(err, table, columns)
        if field is None:
            raise
        raise Conflict(field) from None


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


def count_rows(model: Any) -> int:
    """How many rows a table holds."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def add_once(row: Any) -> None:
    """Insert `row` unless a row with its primary key exists: idempotent, even when a
    concurrent request inserts the same row between our look and our insert."""
    model = type(row)
    key = tuple(sa.inspect(model).primary_key_from_instance(row))
    if db.session.get(model, key) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        if db.session.get(model, key) is None:
            raise


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit once if the block succeeds; roll everything back if it raises.

    The one way an edge (a CLI command, a request) ends its transaction, so
    that services, which only flush, compose into a single all-or-nothing write.
    """
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def end_request_transaction(response: Response) -> Response:
    """Commit the request's unit of work if `response` succeeded, else roll it back.

    The commit runs in an `after_request` hook, outside the view, where Flask
    would turn any exception into a bare 500. A commit the database refuses (it
    went away between the last flush and the commit, say) goes through the
    app's error handlers instead, so the client gets the same answer (a 503
    while the database is down) as when the view itself hit the failure.
    """
    try:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
    except sa.exc.SQLAlchemyError as error:
        return current_app.make_response(current_app.handle_user_exception(error))
    return response


def sync_id_sequences(*models: Any) -> None:
    """Move PostgreSQL's id sequences past ids that were written explicitly (by
    seeding, import or restore). SQLite and MariaDB advance their counters by
    themselves."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        following = (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
        sequence = sa.func.pg_get_serial_sequence(model.__tablename__, "id")
        db.session.execute(sa.select(sa.func.setval(sequence, following, False)))
