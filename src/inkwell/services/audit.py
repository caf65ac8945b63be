"""Writing the audit log, and reading it back.

`record` is the only way rows get in, called by each moderation and role
service in the same unit of work as its action, so the log and the site
never disagree: the action and its entry commit together or not at all.
Nothing here updates or deletes a row, and the database's grants keep the
application from doing so (`inkwell db grants`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import AuditEvent, User, utcnow
from inkwell.models.audit import REASON_MAX, TARGET_MAX
from inkwell.services.validation import Checks

PAGE_SIZE = 50
EXPORT_BATCH = 1000

# Every action the services log, and what they act on: fixed by the code, so
# the dashboard's filters list them without reading the log.
ROLE_CHANGE = "role.change"
SUSPEND, REINSTATE = "user.suspend", "user.reinstate"
UNPUBLISH, DELETE_ARTICLE = "article.unpublish", "article.delete"
DELETE_COMMENT = "comment.delete"
ACTIONS = (ROLE_CHANGE, SUSPEND, REINSTATE, UNPUBLISH, DELETE_ARTICLE, DELETE_COMMENT)
TARGET_KINDS = ("user", "article", "comment")


@dataclass(frozen=True, slots=True)
class Operator:
    """Whoever runs `inkwell` on the server: no account, and every power, as
    anyone with the server's shell already has them."""

    name: str = "command line"


COMMAND_LINE = Operator()
Actor = User | Operator
"""Who acts: an account, whose role the services check, or the command line."""


@dataclass(frozen=True, slots=True)
class Target:
    """What an action was done to, named as it was at the time."""

    kind: str
    id: int
    name: str


def checked_reason(reason: str) -> str:
    """A moderator's reason, required: an entry without one explains nothing. Raises Invalid."""
    with Checks() as checks:
        reason = checks.text("reason", reason, max_length=REASON_MAX)
    return reason


def record(
    actor: Actor, action: str, target: Target, reason: str, detail: str | None = None
) -> AuditEvent:
    """Add an entry to the log in the caller's unit of work."""
    event = AuditEvent(
        created_at=utcnow(),
        actor_id=actor.id if isinstance(actor, User) else None,
        actor_name=actor.username if isinstance(actor, User) else actor.name,
        action=action,
        target_type=target.kind,
        target_id=target.id,
        target_name=target.name[:TARGET_MAX],
        reason=reason,
        detail=detail,
    )
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to show: each criterion given narrows the list."""

    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    since: datetime | None = None


def _matching(wanted: AuditFilter) -> sa.Select[AuditEvent]:
    query = sa.select(AuditEvent)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.actor:
        query = query.where(AuditEvent.actor_name == wanted.actor)
    if wanted.target_type:
        query = query.where(AuditEvent.target_type == wanted.target_type)
    if wanted.target_id is not None:
        query = query.where(AuditEvent.target_id == wanted.target_id)
    if wanted.since is not None:
        query = query.where(AuditEvent.created_at >= wanted.since)
    return query


def events(
    wanted: AuditFilter, *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> list[AuditEvent]:
    """A page of matching entries, newest first; the next page starts before the
    last one's id (a keyset, so a deep page costs what the first does)."""
    query = _matching(wanted)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))


def every_event(wanted: AuditFilter) -> Iterator[AuditEvent]:
    """Every matching entry, oldest first, read in batches (for exports)."""
    after = 0
    while True:
        batch = list(
            db.session.scalars(
                _matching(wanted)
                .where(AuditEvent.id > after)
                .order_by(AuditEvent.id)
                .limit(EXPORT_BATCH)
            )
        )
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1].id
        db.session.expunge_all()
