"""The publication time each tag link carries: a copy of its article's.

A tag's page lists the tag's published articles newest first. With the time
on the link, the links' `(tag_id, published_at, article_id)` index holds a
tag's articles in that order, and a page reads its rows from the index
instead of collecting and sorting all of the tag's articles. A link carries
the time only while its article is listed (`Article.is_listed`): a draft's
and a withheld article's links carry NULL, so no tag page shows them. The
copy is only as good as its exactness, so the article services write it in
the same transaction as every change to an article's publication or tags
(and `services.withholding` as an author is suspended or reinstated);
deleting an article deletes its links. `copy_all` rebuilds it from the content, for
bulk loads and for repair.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Article, article_tags
from inkwell.queries import articles as q


def stamp(article: Article) -> None:
    """Give the article's tag links its publication time if it is listed, else NULL.

    Call it once the links and the article's state are flushed: the ORM writes
    a link's two ids only, so a link it adds carries no time until this runs.
    """
    db.session.execute(
        sa.update(article_tags)
        .where(article_tags.c.article_id == article.id)
        .values(published_at=article.published_at if article.is_listed else None)
    )


def copy_all() -> None:
    """Set every tag link's publication time from its article's (NULL where the
    article is withheld).

    Only links that differ are written: a repair of a large archive then
    rewrites (and locks) the few rows that drifted, not every link.
    """
    published_at = _article_time()
    db.session.execute(
        sa.update(article_tags)
        .where(article_tags.c.published_at.is_distinct_from(published_at))
        .values(published_at=published_at)
    )


def copy_written_by(author_id: int) -> None:
    """Set the links of every article by `author_id` from their articles, once
    those are withheld or listed again: one statement however many there are."""
    db.session.execute(
        sa.update(article_tags)
        .where(
            article_tags.c.article_id.in_(
                sa.select(Article.id).where(Article.author_id == author_id)
            )
        )
        .values(published_at=_article_time())
    )


def _article_time() -> sa.ScalarSelect[datetime | None]:
    """The time a link in the surrounding UPDATE should carry, read from its article."""
    return sa.select(linked_time()).where(Article.id == article_tags.c.article_id).scalar_subquery()


def linked_time() -> sa.ColumnElement[datetime | None]:
    """What the links of the article in the surrounding statement carry: its
    publication time while it is listed, else NULL."""
    return sa.case((q.published(), Article.published_at), else_=sa.null())
