"""Article views, kept in the analytics database (`inkwell.scaling.views` counts them).

No foreign keys: the analytics database may be another server than the one
holding the articles. A deleted article's rows go with it in the same unit
of work (`inkwell.services.views.forget_article`).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inkwell.models.base import MYSQL_TABLE_OPTIONS, AnalyticsBase

# Alembic's record of the analytics migrations: a table of its own, so that
# both sets of migrations can share one database (the default).
ANALYTICS_VERSION_TABLE = "alembic_version_analytics"


class ReaderKey(AnalyticsBase):
    """The secret of one UTC day, which readers' identities are hashed with.

    Every app server hashes with the same one, so a reader is one reader
    whichever server answers; it is deleted once its day is over, after
    which nobody can tell which address a stored hash came from.
    """

    __tablename__ = "reader_keys"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    day: Mapped[date] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(sa.String(64))


class RecentView(AnalyticsBase):
    """One reader's view of one article in one hour: the key that makes a reader
    count once an hour, however many app servers and batches saw them. Kept a day."""

    __tablename__ = "recent_views"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    hour: Mapped[datetime] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    reader: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class ArticleViews(AnalyticsBase):
    """How many views an article had on one UTC day."""

    __tablename__ = "article_views"
    __table_args__ = (sa.Index("ix_article_views_day", "day"), MYSQL_TABLE_OPTIONS)

    article_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(primary_key=True)
    views: Mapped[int] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return f"<ArticleViews {self.article_id} {self.day}={self.views}>"


ANALYTICS_TABLES = frozenset(AnalyticsBase.metadata.tables) | {ANALYTICS_VERSION_TABLE}


def in_main_schema(name: str | None, kind: str, _parents: object) -> bool:
    """Alembic's `include_name` for the main migrations: the analytics tables, which
    may share the database, are not theirs to create or call drift."""
    return not (kind == "table" and name in ANALYTICS_TABLES)


def in_analytics_schema(name: str | None, kind: str, _parents: object) -> bool:
    """Alembic's `include_name` for the analytics migrations: their tables only."""
    return kind != "table" or name in ANALYTICS_TABLES
