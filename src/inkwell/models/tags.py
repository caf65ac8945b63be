"""Tags, and the table that puts them on articles."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inkwell.models.base import MYSQL_TABLE_OPTIONS, Base, UTCDateTime

TAG_MAX = 40

article_tags = sa.Table(
    "article_tags",
    Base.metadata,
    sa.Column("article_id", sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # The article's `published_at` (NULL while it is a draft), kept by the
    # article services in the same transaction as the article's. With it the
    # index below holds a tag's articles in newest-first order, so a tag's
    # page reads its rows from the index instead of collecting and sorting
    # every article the tag has. Derived: exports leave it out, imports copy it.
    sa.Column("published_at", UTCDateTime(), info={"derived": True}),
    # Serves a tag's page, newest first; its leading `tag_id` also serves
    # "articles with this tag". The primary key serves the reverse.
    sa.Index(None, "tag_id", "published_at", "article_id"),
    **MYSQL_TABLE_OPTIONS,
)


class Tag(Base):
    """A label, shared by every article that carries it.

    `published_count` is kept by the article services as articles carrying
    the tag are published, retagged and deleted, so that a tag's page knows
    its total without counting a large archive on every request.
    """

    __tablename__ = "tags"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(TAG_MAX), unique=True)
    # Derived from the content: exports leave it out and imports recount it.
    published_count: Mapped[int] = mapped_column(
        default=0, server_default=sa.text("0"), info={"derived": True}
    )

    def __repr__(self) -> str:
        return f"<Tag {self.name!r}>"
