"""PostgreSQL read replicas: how far each standby is, and which may serve a read.

A hot standby replays the primary's write-ahead log. Its replay position
says exactly which commits it shows: a reader who wrote at position P sees
their write on a standby whose replay position has passed P, and on the
primary always. So a commit's position is the whole of "read your own
writes" (see `inkwell.connections` and `inkwell.http` for who remembers it).

Each process keeps a monitor thread that asks every standby, once a
second, whether it is up, still a standby, how far it has replayed, and
how far behind the primary it is in seconds. Requests never wait on a
standby's health: they read the monitor's last answer, and a standby that
fails a request is marked down at once, until the monitor sees it answer
again. Before the first answer a standby counts as down, so a process
starts on the primary.

Lag in seconds is measured against the primary's own past: each check
first reads the primary's position and remembers when; a standby's lag is
how long ago the primary was at the newest remembered position the standby
has replayed (0 when it has replayed the one read in the same check). That
needs no clock shared between servers, and a primary with no transactions
for a while does not make its standby look late, as the age of the last
replayed transaction would whenever the primary writes a record of its own
(a checkpoint, a snapshot of running transactions every 15 seconds). It
also catches a standby whose connection to the primary broke, which has
replayed all it received and so would look current by itself. While the
primary does not answer, a standby is judged by itself: current if it has
replayed all it received.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import redis
import sqlalchemy as sa
from flask import Flask

from inkwell.dialects import driver_message

CHECK_EVERY_SECONDS = 1.0
# Where `create_app` keeps them (`replicas_of`, `positions_of`).
REPLICAS = "inkwell.replicas"
POSITIONS = "inkwell.positions"
logger = logging.getLogger("inkwell.replicas")

PRIMARY_POSITION = sa.text("SELECT pg_current_wal_lsn() - '0/0'")
STANDBY_STATE = sa.text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0', "
    "pg_last_wal_receive_lsn() - '0/0', "
    "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
)


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """What the last check (or a failed request) found of one standby."""

    name: str
    up: bool = False
    replayed: int | None = None
    lag_seconds: float | None = None
    problem: str | None = None

    def usable(self, max_lag: float) -> bool:
        """Up, a standby, and no further behind than `max_lag` seconds."""
        return (
            self.up
            and self.problem is None
            and self.lag_seconds is not None
            and self.lag_seconds <= max_lag
        )

    def status(self, max_lag: float) -> str:
        """One word for people: in use, lagging, or down."""
        if self.usable(max_lag):
            return "in use"
        return "lagging" if self.up and self.problem is None else "down"


class Replica:
    """One standby: its engine and what is known of it."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.name = engine.url.render_as_string(hide_password=True).split("@")[-1]
        self.state = ReplicaState(self.name, problem="not checked yet")

    def check(self, history: Sequence[tuple[float, int]]) -> None:
        """Ask the standby how it is doing (one statement on a connection of its pool)."""
        try:
            with self.engine.connect() as connection:
                recovering, replayed, received, since_replay = connection.execute(
                    STANDBY_STATE
                ).one()
        except sa.exc.DBAPIError as error:
            self.mark_down(driver_message(error))
            return
        except sa.exc.TimeoutError:
            self.mark_down("no free connection in its pool")
            return
        if not recovering:
            self.state = ReplicaState(self.name, up=True, problem="is not a standby (promoted?)")
            return
        replayed = None if replayed is None else int(replayed)
        lag = lag_behind(replayed, received, since_replay, history)
        was_down = not self.state.up
        self.state = ReplicaState(self.name, up=True, replayed=replayed, lag_seconds=lag)
        if was_down:
            logger.info("replica %s is up", self.name)

    def mark_down(self, problem: str) -> None:
        """Stop reading from the standby until a check finds it answering."""
        if self.state.up or self.state.problem != problem:
            logger.warning("replica %s is down: %s", self.name, problem)
        self.state = ReplicaState(self.name, problem=problem)


def lag_behind(
    replayed: int | None,
    received: Decimal | None,
    since_replay: Decimal | None,
    history: Sequence[tuple[float, int]],
) -> float | None:
    """Seconds behind the primary, from `history` ((monotonic time, primary position),
    oldest first, this check's last); None when that cannot be told (never replayed)."""
    if replayed is None:
        return None
    if not history:  # the primary is not answering: the standby can only judge itself
        current = received is not None and replayed >= int(received)
        return 0.0 if current else _age(since_replay)
    newest = history[-1][0]
    for at, position in reversed(history):
        if replayed >= position:
            return newest - at
    return max(newest - history[0][0], _age(since_replay) or 0.0)


def _age(since_replay: Decimal | None) -> float | None:
    """The age of the last transaction the standby replayed."""
    return None if since_replay is None else max(0.0, float(since_replay))


class Replicas:
    """The standbys a process may read from, checked by a monitor thread of its own."""

    def __init__(self, primary: sa.Engine, standbys: Sequence[sa.Engine], max_lag: float) -> None:
        self.primary = primary
        self.replicas = [Replica(engine) for engine in standbys]
        self.max_lag = max_lag
        # Enough checks to tell any lag up to well past max_lag.
        self._history: deque[tuple[float, int]] = deque(
            maxlen=math.ceil(2 * max_lag / CHECK_EVERY_SECONDS) + 10
        )
        self._monitor_pid: int | None = None
        self._starting = threading.Lock()

    def choose(self, must_see: int | None) -> Replica | None:
        """A usable standby that has replayed `must_see`, if any (spread at random)."""
        ready = [
            replica
            for replica in self.replicas
            if replica.state.usable(self.max_lag)
            and (must_see is None or (replica.state.replayed or 0) >= must_see)
        ]
        return random.choice(ready) if ready else None  # noqa: S311  (load spreading, not secrecy)

    def replica_of(self, engine: sa.Engine) -> Replica | None:
        """The standby `engine` reads from."""
        return next((r for r in self.replicas if r.engine is engine), None)

    def states(self) -> list[ReplicaState]:
        """Each standby's last known state, in the order they were configured."""
        return [replica.state for replica in self.replicas]

    def primary_position(self) -> int:
        """The primary's WAL position now: past every commit that has returned."""
        with self.primary.connect() as connection:
            return int(connection.execute(PRIMARY_POSITION).scalar_one())

    def check(self) -> None:
        """Check every standby once against the primary's current position and the
        positions it had at earlier checks."""
        try:
            self._history.append((time.monotonic(), self.primary_position()))
            history: Sequence[tuple[float, int]] = self._history
        except (sa.exc.DBAPIError, sa.exc.TimeoutError):
            history = ()
        for replica in self.replicas:
            replica.check(history)

    def watch(self) -> None:
        """Start this process's monitor thread unless it runs already.

        Called on each request, so a Gunicorn worker forked from a parent that
        had started one (threads do not survive a fork) starts its own.
        """
        if self._monitor_pid == os.getpid():
            return
        with self._starting:
            if self._monitor_pid == os.getpid():
                return
            self._monitor_pid = os.getpid()
            thread = threading.Thread(target=self._monitor, name="inkwell-replicas", daemon=True)
            thread.start()

    def _monitor(self) -> None:
        while True:
            try:
                self.check()
            except Exception:  # a monitor that dies would leave every replica as last seen
                logger.exception("checking the replicas failed")
            time.sleep(CHECK_EVERY_SECONDS)


# Beyond any position a standby can have replayed: the reader reads from the primary.
NOWHERE = 2**64


class Positions:
    """Each API caller's last write position, in Redis, so every app server knows it.

    A browser carries its own in its signed session cookie; an API client
    sends only its token, which cannot change after each write, so the
    position is kept here under the account. Kept for `keep_seconds`, long
    after any usable standby has replayed it.
    """

    def __init__(self, redis_url: str, keep_seconds: float) -> None:
        self.client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.keep = max(1, math.ceil(keep_seconds))

    def recall(self, reader: str) -> int | None:
        """The position `reader` must see; NOWHERE if Redis cannot say."""
        try:
            stored: bytes | None = self.client.get(_key(reader))  # type: ignore[assignment]
        except redis.RedisError as error:
            logger.warning("could not read a reader's position from Redis: %s", error)
            return NOWHERE
        return None if stored is None else int(stored)

    def remember(self, readers: Iterable[str], position: int) -> None:
        """Make `readers`' next reads see `position` (a failure is logged: their reads
        may then go to a standby that has not replayed it yet)."""
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for reader in readers:
                    pipe.set(_key(reader), position, ex=self.keep)
                pipe.execute()
        except redis.RedisError as error:
            logger.warning("could not store a reader's position in Redis: %s", error)


def _key(reader: str) -> str:
    return f"inkwell:written:{reader}"


def replicas_of(app: Flask) -> Replicas | None:
    """The standbys `app` reads from; None without INKWELL_DATABASE_REPLICA_URLS."""
    replicas: Replicas | None = app.extensions.get(REPLICAS)
    return replicas


def positions_of(app: Flask) -> Positions | None:
    """Where `app` keeps API callers' write positions; None without Redis."""
    positions: Positions | None = app.extensions.get(POSITIONS)
    return positions
