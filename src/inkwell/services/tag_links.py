"""The publication time each tag link carries: a copy of its article's.

A tag's page lists the tag's published articles newest first. With the time
on the link, the links' `(tag_id, published_at, article_id)` index holds a
tag's articles in that order, and a page reads its rows from the index
instead of collecting and sorting all of the tag's articles. The copy is only
as good as its exactness, so the article services write it in the same
transaction as every change to an article's publication or tags; deleting
an article deletes its links. `copy_all` rebuilds it from the content, for
bulk loads and for repair.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Article, article_tags


def stamp(article_id: int, published_at: datetime | None) -> None:
    """Give the article's tag links its publication time.

    Call it once the links are flushed: the ORM writes a link's two ids only,
    so a link it adds carries no time until this runs.
    """
    db.session.execute(
        sa.update(article_tags)
        .where(article_tags.c.article_id == article_id)
        .values(published_at=published_at)
    )


def copy_all() -> None:
    """Set every tag link's publication time from its article's.

    Only links that differ are written: a repair of a large archive then
    rewrites (and locks) the few rows that drifted, not every link.
    """
    published_at = (
        sa.select(Article.published_at)
        .where(Article.id == article_tags.c.article_id)
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(article_tags)
        .where(article_tags.c.published_at.is_distinct_from(published_at))
        .values(published_at=published_at)
    )
