"""The request metrics' recent past: one row a minute, written by every worker's sampler.

The metrics only say how many since the app servers started. To tell the
last hour, each process samples every INKWELL_HEALTH_SAMPLE_SECONDS: it
reads the merged totals (`ops.traffic`) and inserts them under the current
minute. The minute is the key, so whatever the number of workers there is
one row a minute: the first worker to insert it wins, and the others'
inserts conflict and are dropped, which costs each of them one statement.
The same sample deletes rows older than `KEPT` and stores the slow
statements the process saw (`ops.slow_statements`).

The sampler is a daemon thread of each process, started by the process's
first request, so an `inkwell` command starts none; it writes on a
connection of its own (`transactions.own_connection`), never a request's.
A sample that fails (the database is down) is logged and the next one tried.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from inkwell.config import Settings
from inkwell.extensions import db
from inkwell.models import HealthSample, utcnow
from inkwell.ops import slow_statements
from inkwell.ops.traffic import Totals, read_metrics, stored_buckets
from inkwell.transactions import own_connection

KEPT = timedelta(hours=24)
logger = logging.getLogger("inkwell.health")


def minute_of(moment: datetime) -> datetime:
    """The minute `moment` falls in: the key of its sample."""
    return moment.replace(second=0, microsecond=0)


def sample(now: datetime | None = None) -> bool:
    """Record the metrics under the current minute unless another worker did, forget
    samples older than a day, and store the slow statements this process saw.
    True if this call wrote the minute's row."""
    now = now or utcnow()
    totals = read_metrics().totals
    seen = slow_statements.drain()
    with own_connection(writes=True) as connection:
        written = record(connection, minute_of(now), totals)
        connection.execute(sa.delete(HealthSample).where(HealthSample.minute < now - KEPT))
        slow_statements.store(connection, seen)
    return written


def record(connection: sa.Connection, minute: datetime, totals: Totals) -> bool:
    """Insert the minute's row; False if it was there already (another worker's).

    In a savepoint, so the conflict leaves the surrounding transaction usable
    on every database."""
    row = {
        "minute": minute,
        "requests": totals.requests,
        "server_errors": totals.server_errors,
        "latency_buckets": totals.buckets_json(),
    }
    try:
        with connection.begin_nested():
            connection.execute(sa.insert(HealthSample), row)
    except IntegrityError:
        return False
    return True


def history(since: datetime) -> list[tuple[datetime, Totals]]:
    """The samples from `since` on, oldest first (one statement). A row written for
    other bucket bounds (by another version of Inkwell) is left out."""
    rows = db.session.execute(
        sa.select(
            HealthSample.minute,
            HealthSample.requests,
            HealthSample.server_errors,
            HealthSample.latency_buckets,
        )
        .where(HealthSample.minute >= since)
        .order_by(HealthSample.minute)
    )
    kept = []
    for minute, requests, server_errors, text in rows:
        buckets = stored_buckets(text)
        if buckets is not None:
            kept.append((minute, Totals(requests, server_errors, buckets)))
    return kept


def configure_sampling(app: Flask) -> None:
    """Start each process's sampler with its first request (none when the setting is 0)."""
    settings: Settings = app.extensions["inkwell.settings"]
    seconds = settings.health_sample_seconds
    if not seconds:
        return
    started: set[int] = set()
    lock = threading.Lock()

    def start_once() -> None:
        # The pid, not a flag: a process forked after a request starts its own.
        if os.getpid() in started:
            return
        with lock:
            if os.getpid() not in started:
                started.add(os.getpid())
                threading.Thread(
                    target=_sample_forever, args=(app, seconds), name="health-sampler", daemon=True
                ).start()

    app.before_request(start_once)


def _sample_forever(app: Flask, seconds: int) -> None:
    while True:
        # On the interval's boundaries, so every worker samples near the minute's start.
        time.sleep(seconds - time.time() % seconds)
        try:
            with app.app_context():
                sample()
        except Exception:
            logger.exception("health sample failed; trying again in %s s", seconds)
