"""Counting article views off the request path, in batches.

A view is counted once per reader, article and hour. A reader is recognised
as privacy-respecting analytics do: by an HMAC of their address and user
agent (or of their account, when signed in) under a key that changes every
UTC day and is deleted once the day is over (`services.views.reader_key`);
the address itself is never stored, and after the day nobody can tell whose
view a stored hash was.

A request only notes its sighting; where sightings wait before they are
written decides what a crash can lose:

- With Redis (INKWELL_REDIS_URL), each sighting goes into one Redis set at
  once, shared by every app server, and the first sighting after a flush
  plans the flush job (`flush_views`) INKWELL_VIEWS_FLUSH_SECONDS later, for
  `inkwell worker` to run. An app server that dies loses nothing; a flush
  that fails is retried by the job's back-off and by the next flush, which
  also takes up any batch an earlier one left behind.
- Without Redis, each process keeps its sightings in memory and writes them
  from a thread of its own every INKWELL_VIEWS_FLUSH_SECONDS, and once more
  when it exits. A process killed without warning (SIGKILL, a power cut)
  loses at most the sightings of its last interval.

Writing a batch counts each sighting once however often it is written
(`services.views.record`), so a batch written twice, by a retried job or two
flushes, does no harm. Counting never fails a request: a view that cannot be
noted (Redis or the analytics database away) is logged and left uncounted.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Collection
from contextlib import suppress
from datetime import UTC, date, datetime

import redis
import sqlalchemy as sa
from flask import Flask, current_app

from inkwell.config import Settings
from inkwell.dialects import is_lock_conflict
from inkwell.models import utcnow
from inkwell.models.base import ANALYTICS
from inkwell.scaling.jobs import JobsUnavailable, enqueue_later, job
from inkwell.services import views
from inkwell.services.views import Sighting, hour_of
from inkwell.transactions import own_connection, unit_of_work

logger = logging.getLogger("inkwell.views")

EXTENSION = "inkwell.views"
PENDING = "inkwell:views:pending"
BATCH = "inkwell:views:batch:"
PLANNED = "inkwell:views:flush-planned"
# How long a planned flush stands for one; past it (the job lost with a Redis that
# keeps nothing on disk, say) the next view plans another.
PLAN_GRACE_SECONDS = 60
# Sightings a process keeps while the database cannot take them; more are dropped.
PROCESS_LIMIT = 100_000
# How long counting is left alone after Redis or the analytics database failed.
PAUSE_SECONDS = 5.0
# Sightings written per unit of work: short transactions, steady progress.
SIGHTINGS_PER_UNIT = 500
# How long a stopping process waits for a batch its flusher is writing.
EXIT_WAIT_SECONDS = 10.0
# Tries of a batch that lost a lock conflict to another batch.
WRITE_ATTEMPTS = 5


class ViewCounter:
    """One app's view counting: the reader key of the day, and the batch being gathered."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        self.seconds = settings.views_flush_seconds
        self.redis = (
            redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
            if settings.redis_url
            else None
        )
        self._keys: dict[date, bytes] = {}
        self._pending: set[Sighting] = set()
        self._lock = threading.Lock()
        self._flusher: threading.Thread | None = None
        self._flusher_pid: int | None = None  # a forked process starts its own
        self._stopping = threading.Event()
        self._paused_until = 0.0
        self._dropping = False  # whether the process's batch is full (said once)

    def see(self, article_id: int, identity: str, now: datetime | None = None) -> None:
        """Note that `identity` (an address and user agent, or an account) read the
        article; it is counted at the next flush. Never raises.

        After Redis or the analytics database fails, the views of the next few
        seconds are let go without trying (and without a warning each), so a
        server that is away costs readers neither time nor the log its space."""
        if time.monotonic() < self._paused_until:
            return
        now = now or utcnow()
        try:
            sighting = Sighting(hour_of(now), article_id, self.reader(identity, now.date()))
            if self.redis is None:
                self._keep(sighting)
            else:
                self._send(self.redis, sighting)
        except Exception as error:  # counting must never fail the reader's request
            self._paused_until = time.monotonic() + PAUSE_SECONDS
            logger.warning(
                "views are not counted for %.0f s: %s", PAUSE_SECONDS, error, exc_info=error
            )

    def reader(self, identity: str, day: date) -> str:
        """`identity` hashed with `day`'s key (read from the database once a day)."""
        key = self._keys.get(day)
        if key is None:
            with own_connection(writes=True, bind=ANALYTICS) as connection:
                key = bytes.fromhex(views.reader_key(connection, day))
            self._keys = {day: key}  # the day's key only: a finished day's is forgotten
        return hmac.new(key, identity.encode(), hashlib.sha256).hexdigest()[:32]

    def flush(self) -> int:
        """Write the sightings waiting (in Redis, or in this process); how many counted."""
        if self.redis is None:
            return self._flush_process()
        return self._flush_redis(self.redis)

    # Without Redis -------------------------------------------------------------------

    def _keep(self, sighting: Sighting) -> None:
        with self._lock:
            if len(self._pending) < PROCESS_LIMIT:
                self._pending.add(sighting)
            elif not self._dropping:
                logger.error("%d views wait to be written: new ones are dropped", PROCESS_LIMIT)
            self._dropping = len(self._pending) >= PROCESS_LIMIT
            if self._flusher_pid != os.getpid():
                self._flusher_pid = os.getpid()
                self._stopping = threading.Event()
                self._flusher = threading.Thread(
                    target=self._flush_every, name="views-flusher", daemon=True
                )
                self._flusher.start()
                atexit.register(self._flush_at_exit)

    def _flush_every(self) -> None:
        while not self._stopping.wait(self.seconds):
            self._flush_process()

    def _flush_at_exit(self) -> None:
        """Stop the flusher, letting a batch it is writing finish, then write the rest."""
        self._stopping.set()
        if self._flusher is not None:
            self._flusher.join(EXIT_WAIT_SECONDS)
        self._flush_process()

    def _flush_process(self) -> int:
        with self._lock:
            taken, self._pending = self._pending, set()
        if not taken:
            return 0
        counted = 0
        batch = sorted(taken)
        with self.app.app_context():
            for start in range(0, len(batch), SIGHTINGS_PER_UNIT):
                try:
                    counted += write(batch[start : start + SIGHTINGS_PER_UNIT])
                except Exception:  # the flusher thread must live on: keep the rest for later
                    self._keep_unwritten(batch[start:])
                    return counted
            try:
                forget_the_past()
            except Exception:  # written all the same; the next flush forgets instead
                logger.exception("hashes and keys past keeping could not be deleted")
        return counted

    def _keep_unwritten(self, left: list[Sighting]) -> None:
        logger.exception("%d views could not be written; trying again later", len(left))
        with self._lock:
            room = max(0, PROCESS_LIMIT - len(self._pending))
            self._pending.update(left[:room])
            if room < len(left):
                logger.error("%d views dropped: too many wait", len(left) - room)

    # With Redis ----------------------------------------------------------------------

    def _send(self, client: redis.Redis, sighting: Sighting) -> None:
        pipe = client.pipeline(transaction=False)
        pipe.sadd(PENDING, encode(sighting))
        pipe.set(PLANNED, "1", nx=True, ex=self.seconds + PLAN_GRACE_SECONDS)
        _added, planned = pipe.execute()
        if planned:
            try:
                enqueue_later(self.seconds, flush_views)
            except JobsUnavailable:
                client.delete(PLANNED)  # the view is kept; the next one plans the flush
                raise

    def _flush_redis(self, client: redis.Redis) -> int:
        """Take the waiting set as a batch of its own, then write every batch there is
        (this one and any a failed flush left), `SIGHTINGS_PER_UNIT` at a time, each
        part removed from Redis once committed: a long batch (after a worker was away)
        makes progress however often its job is cut short.

        The plan is forgotten before the set is taken, so a sighting is either in
        this batch or plans the next flush itself."""
        client.delete(PLANNED)
        with suppress(redis.ResponseError):  # "no such key": nothing waits
            client.rename(PENDING, f"{BATCH}{uuid.uuid4().hex}")
        counted = 0
        for batch in sorted(client.scan_iter(match=f"{BATCH}*", count=100)):
            while True:
                part: list[bytes] = client.srandmember(batch, SIGHTINGS_PER_UNIT)  # type: ignore[assignment]
                if not part:
                    break
                counted += write([decode(member) for member in part])
                client.srem(batch, *part)
            forget_the_past()
        return counted


def forget_the_past() -> None:
    """Once a flush has written its batches: delete the hashes and keys past keeping."""
    with unit_of_work():
        views.forget_the_past()


def write(sightings: Collection[Sighting]) -> int:
    """Record a batch in a unit of work of its own; how many views it counted.

    Two batches written at once insert neighbouring keys, and MariaDB may
    then pick one to fail as a deadlock (PostgreSQL and SQLite may make one
    wait too long); recording is idempotent, so such a batch is tried again
    after a short, growing, randomised pause."""
    attempt = 1
    while True:
        try:
            with unit_of_work():
                return views.record(sightings)
        except sa.exc.DBAPIError as error:
            if attempt == WRITE_ATTEMPTS or not is_lock_conflict(error):
                raise
        time.sleep(random.uniform(0.05, 0.1) * 2**attempt)  # noqa: S311  (a pause, not a secret)
        attempt += 1


def encode(sighting: Sighting) -> str:
    """A sighting as a member of the Redis set: article, hour (since the epoch), reader."""
    hours = int(sighting.hour.timestamp()) // 3600
    return f"{sighting.article_id}:{hours}:{sighting.reader}"


def decode(member: bytes | str) -> Sighting:
    """The sighting `encode` made."""
    text = member.decode() if isinstance(member, bytes) else member
    article_id, hours, reader = text.split(":", 2)
    return Sighting(datetime.fromtimestamp(int(hours) * 3600, UTC), int(article_id), reader)


def counter_of(app: Flask) -> ViewCounter | None:
    """The app's view counter; None when INKWELL_COUNT_VIEWS is off."""
    counter: ViewCounter | None = app.extensions.get(EXTENSION)
    return counter


def configure_view_counts(app: Flask, settings: Settings) -> None:
    """Count views, unless the settings say not to."""
    if settings.count_views:
        app.extensions[EXTENSION] = ViewCounter(app, settings)


@job(backoff=(10, 60, 300), timeout=300)
def flush_views() -> int:
    """Write the views waiting in Redis (planned by the first view after a flush), even
    where the worker's own settings do not count views: the app servers' do."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    counter = counter_of(app) or ViewCounter(app, app.extensions["inkwell.settings"])
    return counter.flush()
