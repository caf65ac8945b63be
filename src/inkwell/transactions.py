"""Units of work: what a request or a command declares, and its one commit.

Services only flush, so they compose; the edge that called them (a request,
a CLI command) ends the unit of work once: commit if it succeeded, roll back
if not. The edge also declares up front whether the unit writes, because on
SQLite that decides the lock its transaction takes (see
`inkwell.dialects.configure_sqlite`); the other databases lock rows as they
are written and ignore the declaration.

The declaration lives in a context variable (`inkwell.connections`) rather
than on the session: the transaction's `BEGIN` is emitted by the engine,
which sees connections, not sessions. A context variable follows the request
or command through every call in its thread, and each edge resets it when it
ends. The session reads it too, to run reads without a transaction where
that saves round trips.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Token

import sqlalchemy as sa

from inkwell.connections import current_route, declare, declares_writes, forget
from inkwell.extensions import db


def begin_unit(*, writes: bool) -> Token[bool]:
    """Declare the unit of work that starts now; pass the token to `end_unit`."""
    return declare(writes=writes)


def end_unit(token: Token[bool], *, commit: bool) -> None:
    """Commit or roll back the unit begun with `token`, and forget its declaration.

    A failing commit propagates to the caller, which decides how to report it.
    After a write, a request reading from replicas notes the primary's position
    for the reader (see `inkwell.connections.Route`).
    """
    try:
        if commit:
            db.session.commit()
            route = current_route()
            if route is not None and declares_writes():
                route.committed_write()
        else:
            db.session.rollback()
    finally:
        forget(token)


@contextmanager
def unit_of_work(*, writes: bool = True) -> Iterator[None]:
    """Commit once if the block succeeds; roll everything back if it raises.

    The way a command ends its transaction. Units that write wait for
    SQLite's write lock as requests do, rather than failing at once.
    """
    token = begin_unit(writes=writes)
    try:
        yield
    except BaseException:
        end_unit(token, commit=False)
        raise
    end_unit(token, commit=True)


@contextmanager
def followed_by_write() -> Iterator[None]:
    """Commit what the current unit has read, then run the block as a writing unit.

    For a request that reads slowly and then writes a little, such as a
    sign-in (verify a password, then record the session): on SQLite the
    write lock is held only for the write, not while the password is checked.
    """
    db.session.commit()
    with unit_of_work(writes=True):
        yield


@contextmanager
def own_connection(*, writes: bool, bind: str | None = None) -> Iterator[sa.Connection]:
    """A unit of work on a connection of its own, outside the session: committed if the
    block succeeds, rolled back if it raises.

    For work in a thread of its own beside the requests (the health sampler),
    which must never share a request's session. It declares whether it writes
    like any unit, so on SQLite it takes its turn for the write lock. `bind`
    names another database than the main one (`models.base.ANALYTICS`).
    """
    token = declare(writes=writes)
    try:
        with db.engines[bind].begin() as connection:
            yield connection
    finally:
        forget(token)


def read_from_primary() -> None:
    """Read the rest of this request from the primary, not a replica: for a page that
    reports on the primary server itself."""
    route = current_route()
    if route is not None:
        route.pin()
