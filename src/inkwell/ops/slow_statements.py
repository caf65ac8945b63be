"""The slowest statements seen lately, by any worker, for the dashboard's Health page.

The slow-statement hook (`ops.logging`) runs inside the statement's own
connection event, where writing to the database would be a statement of its
own in someone else's transaction; it only appends to this process's bounded
buffer. The sampler (`ops.samples`) writes the buffer into `slow_statements`,
a table every worker shares, and keeps the newest `KEPT` rows there. A
statement seen while the database is down is lost with that sample (its
log line remains).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import SlowStatement
from inkwell.models.health import ENDPOINT_MAX, STATEMENT_MAX

KEPT = 200
BUFFERED = 200


@dataclass(frozen=True, slots=True)
class Seen:
    """One slow statement, as the hook saw it."""

    seen_at: datetime
    duration_ms: float
    statement: str
    endpoint: str | None


# deque's append and popleft are atomic, so request threads and the sampler share it
# without a lock; past BUFFERED, the oldest are dropped.
_seen: deque[Seen] = deque(maxlen=BUFFERED)


def remember(seen_at: datetime, duration_ms: float, statement: str, endpoint: str | None) -> None:
    """Keep a slow statement until the next sample, its text shortened to fit the table."""
    _seen.append(
        Seen(
            seen_at,
            round(duration_ms, 1),
            " ".join(statement.split())[:STATEMENT_MAX],
            endpoint[:ENDPOINT_MAX] if endpoint else None,
        )
    )


def drain() -> list[Seen]:
    """Take every statement remembered since the last sample."""
    taken = []
    while _seen:
        try:
            taken.append(_seen.popleft())
        except IndexError:  # another thread drained it in between
            break
    return taken


def store(connection: sa.Connection, seen: list[Seen]) -> None:
    """Add `seen` to the shared table and drop all but its newest `KEPT` rows.

    The cut-off is read first, then deleted below: MariaDB will not delete
    from a table that a subquery of the same statement reads.
    """
    if seen:
        connection.execute(
            sa.insert(SlowStatement),
            [
                {
                    "seen_at": s.seen_at,
                    "duration_ms": s.duration_ms,
                    "statement": s.statement,
                    "endpoint": s.endpoint,
                }
                for s in seen
            ],
        )
    oldest_kept = connection.scalar(
        sa.select(SlowStatement.id).order_by(SlowStatement.id.desc()).offset(KEPT - 1).limit(1)
    )
    if oldest_kept is not None:
        connection.execute(sa.delete(SlowStatement).where(SlowStatement.id < oldest_kept))


def slowest(since: datetime, limit: int = 20) -> list[SlowStatement]:
    """The slowest statements seen since `since`, slowest first (one statement)."""
    query = (
        sa.select(SlowStatement)
        .where(SlowStatement.seen_at >= since)
        .order_by(SlowStatement.duration_ms.desc(), SlowStatement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
