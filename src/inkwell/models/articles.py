"""Articles and favorites."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inkwell.models.base import LONG_TEXT, MYSQL_TABLE_OPTIONS, Base, utcnow
from inkwell.models.tags import Tag, article_tags
from inkwell.models.users import User

SLUG_MAX = 255
TITLE_MAX = 200
DESCRIPTION_MAX = 1000
BODY_MAX = 100_000


class Article(Base):
    """A piece of writing. A draft is an article with no `published_at`.

    The Markdown `body` is what the author wrote and what the API returns;
    `body_html` is what the pages and feeds show, rendered once per write
    rather than on every read.

    Lists are ordered newest published first with the id as tie-breaker; the
    two composite indexes serve that order for everything and per author, so a
    deep page or a large archive never sorts in memory.
    """

    __tablename__ = "articles"
    __table_args__ = (
        # `withheld` trails each key so that "listed" is read from the index too:
        # a deep page's ids then come from an index-only scan (`queries.page_ids`).
        sa.Index(None, "published_at", "id", "withheld"),
        sa.Index(None, "author_id", "published_at", "id", "withheld"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX), unique=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX))
    body: Mapped[str] = mapped_column(LONG_TEXT)
    # The body as sanitised HTML, rendered when the body is written, and the
    # renderer version that made it (`inkwell.markdown.RENDERER_VERSION`).
    # Derived from the body: exports leave them out and imports render them.
    # The HTML is deferred, and refuses to load lazily: only pages that show
    # it ask for it, in the statement that reads the article.
    body_html: Mapped[str] = mapped_column(
        LONG_TEXT, deferred=True, deferred_raiseload=True, info={"derived": True}
    )
    body_html_version: Mapped[int] = mapped_column(info={"derived": True})
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # True while the author is suspended: the article is kept, and shown to
    # nobody. Derived from the author's suspension, in the same transaction
    # (`inkwell.services.withholding`); imports set it from the users.
    withheld: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), info={"derived": True}
    )

    author: Mapped[User] = relationship(innerjoin=True)
    tags: Mapped[list[Tag]] = relationship(secondary=article_tags, order_by=Tag.name)

    @property
    def is_draft(self) -> bool:
        """Whether only the author can see this article."""
        return self.published_at is None

    @property
    def is_listed(self) -> bool:
        """Whether readers see it: published, and not withheld. The kept totals,
        tag links and search index count exactly these articles."""
        return self.published_at is not None and not self.withheld

    def __repr__(self) -> str:
        return f"<Article {self.id} {self.slug!r}>"


class Favorite(Base):
    """`user` has marked `article` as a favorite."""

    __tablename__ = "favorites"
    __table_args__ = (
        sa.Index(None, "article_id"),
        # A day's favorites and what they were of, read from the index alone by
        # the dashboard's roll-up (`services.growth`).
        sa.Index(None, "created_at", "article_id"),
        MYSQL_TABLE_OPTIONS,
    )

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
