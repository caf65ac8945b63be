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

With read replicas configured (`inkwell.scaling.replicas`), `get_bind` is also where
a request's reads are routed: to a standby that is usable and has replayed
what the reader must see, or else to the primary, decided at the request's
first read and kept for the rest of it. Writes, reads inside a unit that
writes, and every read after a commit go to the primary. Commands and
threads outside requests have no route and use the primary only.

The pool tests a connection before use only when it has been idle for a
while, which is when a restarted server or a firewall that drops idle
connections may have cut it. A connection cut while in steady use fails one
request with a 503 (see `inkwell.http`), and SQLAlchemy then starts the pool
afresh, so testing every checkout, one more round trip per request, buys
nothing a client can see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from inkwell.dialects import reads_without_transaction
from inkwell.scaling.replicas import Replica, Replicas

logger = logging.getLogger("inkwell.replicas")
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


@dataclass(slots=True)
class Route:
    """Where one request's reads go, and the position of the last write it committed."""

    replicas: Replicas
    must_see: int | None = None
    on_primary: bool = False
    replica: Replica | None = None
    written: int | None = None
    readers: set[str] = field(default_factory=set)

    def needs(self, position: int | None) -> None:
        """Read only where the commit at `position` is visible."""
        if position is None:
            return
        self.must_see = max(position, self.must_see or 0)
        replayed = self.replica.state.replayed if self.replica else None
        if self.replica is not None and (replayed or 0) < position:
            self.pin()

    def pin(self) -> None:
        """Read from the primary for the rest of the request."""
        self.on_primary = True
        self.replica = None

    def reader(self) -> sa.Engine | None:
        """The standby this request reads from, chosen at its first read; None: the primary."""
        if self.on_primary:
            return None
        if self.replica is None:
            self.replica = self.replicas.choose(self.must_see)
            if self.replica is None:
                self.on_primary = True
                return None
        return self.replica.engine

    def committed_write(self) -> None:
        """Remember how far the primary's log is after this request's commit.

        One statement on the primary. If it fails the write stands anyway;
        the reader's next reads may then go to a standby that lacks it,
        which is logged.
        """
        self.pin()
        try:
            self.written = self.replicas.primary_position()
        except (sa.exc.DBAPIError, sa.exc.TimeoutError) as error:
            logger.warning("could not read the primary's position after a commit: %s", error)


_route: ContextVar[Route | None] = ContextVar("inkwell_route", default=None)


@contextmanager
def routing(replicas: Replicas) -> Iterator[Route]:
    """Route the reads of the request handled inside the block among `replicas`."""
    route = Route(replicas)
    token = _route.set(route)
    try:
        yield route
    finally:
        _route.reset(token)


def current_route() -> Route | None:
    """The current request's route; None outside requests or without replicas."""
    return _route.get()


class UnitSession(Session):
    """Flask-SQLAlchemy's session: reads go to a replica where one may serve them, and
    run without transactions where that saves round trips."""

    def get_bind(self, *args: Any, **kwargs: Any) -> sa.Engine | sa.Connection:
        bind = super().get_bind(*args, **kwargs)
        if declares_writes() or not isinstance(bind, sa.Engine):
            return bind
        route = _route.get()
        if route is not None and bind is route.replicas.primary:
            bind = route.reader() or bind
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
