"""What full-text search indexes: one row per published article."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inkwell.models.articles import DESCRIPTION_MAX, TITLE_MAX
from inkwell.models.base import LONG_TEXT, Base


class SearchDocument(Base):
    """A published article as search reads it: its title, its tag names, its
    description and its body as plain text (the rendered HTML without markup,
    so that neither Markdown syntax nor tags are matched or shown in a snippet).

    Written by `inkwell.services.search_index` in the same transaction as
    every change to the article; a draft has no row, so no search can find
    one. Each database's engine indexes these rows its own way
    (`inkwell.fulltext`), with structures the migrations create and the
    models leave out. Derived from the articles: exports leave it out and
    `inkwell search reindex` rebuilds it.

    On MariaDB the table compares case- and accent-insensitively, unlike the
    rest of Inkwell's: its FULLTEXT indexes match by the table's collation.
    """

    __tablename__ = "article_search"
    __table_args__ = ({"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"},)

    article_id: Mapped[int] = mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    tags: Mapped[str] = mapped_column(sa.Text())
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX))
    body: Mapped[str] = mapped_column(LONG_TEXT)
