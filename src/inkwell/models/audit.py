"""The audit log: who did what to whom, and why."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inkwell.models.base import MYSQL_TABLE_OPTIONS, Base, utcnow
from inkwell.models.users import USERNAME_MAX

ACTION_MAX = 40
TARGET_MAX = 255
REASON_MAX = 1000


class AuditEvent(Base):
    """One moderation or role action, written in the same transaction as the action.

    Rows are only ever added: no code updates or deletes them, and the grants
    of `inkwell db grants` let the application's user insert and read them
    only. They name their actor and target by id *and* by a copy of the name
    at the time, with no foreign keys, so a row outlives (and still says who
    was) a deleted account or article, and nothing cascades into it.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index(None, "action", "id"),
        sa.Index(None, "actor_id", "id"),
        sa.Index(None, "target_type", "target_id", "id"),
        # `inkwell db grants` lets the application only insert and read here.
        {"info": {"append_only": True}, **MYSQL_TABLE_OPTIONS},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None for an operator at the command line, who has no account.
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(sa.String(USERNAME_MAX))
    action: Mapped[str] = mapped_column(sa.String(ACTION_MAX))
    target_type: Mapped[str] = mapped_column(sa.String(20))
    target_id: Mapped[int]
    target_name: Mapped[str] = mapped_column(sa.String(TARGET_MAX))
    reason: Mapped[str] = mapped_column(sa.Text)
    # What changed, where the action alone does not say ("member -> editor").
    detail: Mapped[str | None] = mapped_column(sa.String(TARGET_MAX))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.target_type} {self.target_id}>"
