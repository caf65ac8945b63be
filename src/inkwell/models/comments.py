"""Comments on articles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inkwell.models.base import MYSQL_TABLE_OPTIONS, Base, utcnow
from inkwell.models.users import User

COMMENT_MAX = 10_000


class Comment(Base):
    """A reader's reply to an article, listed oldest first."""

    __tablename__ = "comments"
    __table_args__ = (
        sa.Index(None, "article_id", "created_at", "id"),
        sa.Index(None, "author_id"),
        # A day's comments and what they were on, read from the index alone by
        # the dashboard's roll-up (`services.growth`).
        sa.Index(None, "created_at", "article_id"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(innerjoin=True)

    def __repr__(self) -> str:
        return f"<Comment {self.id} on {self.article_id}>"
