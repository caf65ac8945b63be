"""Which connection a unit of work runs on, and what it costs to get one.

A request that only reads, on PostgreSQL, runs without a transaction: each
`BEGIN` and `COMMIT` is a round trip to the server and a process wake-up on
it, and a list's page, total and tags travel in one statement that is
consistent by itself (see `inkwell.services.listing`). The choice is made
once, in the session's `get_bind`, from the unit's declaration (see
`inkwell.transactions`), so services never know about it. SQLite keeps its
transactions: they cost no round trip and give a read one snapshot.
MariaDB keeps them too: PyMySQL switches autocommit with a statement, so
alternating between readers and writers on pooled connections would add
round trips rather than save them.

The pool tests a connection before use only when it has been idle for a
while, which is when a restarted server or a firewall that drops idle
connections may have cut it. A connection cut while in steady use fails one
request with a 503 (see `inkwell.http`), and SQLAlchemy then starts the pool
afresh, so testing every checkout, one more round trip per request, buys
nothing a client can see.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from inkwell.dialects import reads_without_transaction

_writes: ContextVar[bool] = ContextVar("inkwell_unit_writes", default=False)
_readers: WeakKeyDictionary[sa.Engine, sa.Engine] = WeakKeyDictionary()


def declares_writes() -> bool:
    """Whether the current unit of work said it writes."""
    return _writes.get()


def declare(*, writes: bool) -> Token[bool]:
    """Record the current unit's declaration; `forget` it with the token."""
    return _writes.set(writes)


def forget(token: Token[bool]) -> None:
    """Drop the declaration `declare` returned `token` for."""
    _writes.reset(token)


class UnitSession(Session):
    """Flask-SQLAlchemy's session, reading without transactions where that saves round trips."""

    def get_bind(self, *args: Any, **kwargs: Any) -> sa.Engine | sa.Connection:
        bind = super().get_bind(*args, **kwargs)
        if declares_writes() or not isinstance(bind, sa.Engine):
            return bind
        if not reads_without_transaction(bind.dialect):
            return bind
        reader = _readers.get(bind)
        if reader is None:
            reader = _readers[bind] = bind.execution_options(isolation_level="AUTOCOMMIT")
        return reader


def ping_idle_connections(engine: sa.Engine, idle_seconds: float) -> None:
    """Test a pooled connection before use if it has been idle longer than `idle_seconds`.

    SQLAlchemy's documented pattern for custom pessimistic testing: a
    `DisconnectionError` raised at checkout makes the pool replace the
    connection and try again. Negative `idle_seconds` never tests.
    """
    if idle_seconds < 0:
        return

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_idle(dbapi: Any, record: ConnectionPoolEntry, _: PoolProxiedConnection) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi, None):
                raise sa.exc.DisconnectionError(str(error)) from error
            raise
