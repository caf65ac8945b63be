"""Signed-in browser sessions, kept on the server so that they can be ended."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inkwell.models.base import MYSQL_TABLE_OPTIONS, Base, utcnow

KEY_DIGEST_LENGTH = 64


class UserSession(Base):
    """One sign-in on the site, named in the browser's cookies by a random key.

    Only the key's SHA-256 digest is stored: a copy of this table (a backup,
    say) does not let anyone sign in. Deleting the row ends the session and
    its "keep me signed in" cookie, wherever the cookies were copied to.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (sa.Index(None, "user_id"), MYSQL_TABLE_OPTIONS)

    key_digest: Mapped[str] = mapped_column(sa.String(KEY_DIGEST_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<UserSession of user {self.user_id} until {self.expires_at:%Y-%m-%d}>"
