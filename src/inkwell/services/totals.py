"""Totals of published articles, kept as articles change rather than counted per request.

A list's `articlesCount` for the whole archive or one tag would otherwise
count every matching row on every request, a cost that grows with the
archive. "Published" here means listed (`Article.is_listed`): a withheld
article is counted nowhere. The article services record each change in the same transaction
as the change itself, so a total is exactly as current as the articles a
reader sees; `recount` rebuilds every total from the content, for bulk loads
and for repair.

Each change is one relative UPDATE (`value = value + n`), which the database
applies atomically under concurrent writers.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Article, Counter, Tag, article_tags
from inkwell.models.counters import PUBLISHED_ARTICLES
from inkwell.queries import articles as q


def published_total_query() -> sa.Select[int]:
    """How many articles are published, as a statement a list can carry along."""
    return sa.select(Counter.value).where(Counter.name == PUBLISHED_ARTICLES)


def tag_total_query(name: str | sa.BindParameter[str]) -> sa.Select[int]:
    """How many published articles carry the tag `name`, as a statement (no row
    for a tag nobody used)."""
    return sa.select(Tag.published_count).where(Tag.name == name)


def published_total() -> int:
    """How many articles are published."""
    return db.session.scalar(published_total_query()) or 0


def tag_total(name: str) -> int:
    """How many published articles carry the tag `name` (0 for a tag nobody used)."""
    return db.session.scalar(tag_total_query(name)) or 0


def hold() -> None:
    """Take the archive's counter row for the rest of the transaction.

    Every change that moves a total takes this row before it writes
    `article_tags`, so such writers queue here. Without it two of them could
    deadlock on MariaDB, which share-locks a tag's row for each `article_tags`
    row written and then needs it exclusively to change the tag's count.
    """
    db.session.execute(
        sa.select(Counter.value).where(Counter.name == PUBLISHED_ARTICLES).with_for_update()
    )


def add_published(change: int) -> None:
    """Record `change` articles entering (negative: leaving) the published archive.

    Call it before writing the articles' tags: it holds the counter row, as `hold` does.
    """
    db.session.execute(
        sa.update(Counter)
        .where(Counter.name == PUBLISHED_ARTICLES)
        .values(value=Counter.value + change)
        .execution_options(synchronize_session=False)
    )


def add_tagged(change: int, tag_ids: Collection[int]) -> None:
    """Record `change` published articles gaining (negative: losing) each tag in `tag_ids`."""
    if tag_ids:
        db.session.execute(
            sa.update(Tag)
            .where(Tag.id.in_(sorted(tag_ids)))
            .values(published_count=Tag.published_count + change)
            .execution_options(synchronize_session=False)
        )


def move(sign: int, articles: sa.ColumnElement[bool]) -> None:
    """Record the articles meeting `articles` entering (`sign` 1) or leaving (-1) the
    listed archive, with each tag they carry: a set of them in two statements,
    however many there are (an author suspended or reinstated).

    Take the counter row (`hold`) first, and call it while `articles` still
    names the ones that change.
    """
    entering = sa.select(sa.func.count()).select_from(Article).where(articles)
    db.session.execute(
        sa.update(Counter)
        .where(Counter.name == PUBLISHED_ARTICLES)
        .values(value=Counter.value + sign * entering.scalar_subquery())
        .execution_options(synchronize_session=False)
    )
    links = article_tags.join(Article, Article.id == article_tags.c.article_id)
    per_tag = (
        sa.select(sa.func.count())
        .select_from(links)
        .where(article_tags.c.tag_id == Tag.id, articles)
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(Tag)
        .where(Tag.id.in_(sa.select(article_tags.c.tag_id).select_from(links).where(articles)))
        .values(published_count=Tag.published_count + sign * per_tag)
        .execution_options(synchronize_session=False)
    )


def recount() -> None:
    """Set every total from the content itself: the listed articles, those readers see."""
    total = (sa.select(sa.func.count()).select_from(Article).where(q.published())).scalar_subquery()
    if db.session.get(Counter, PUBLISHED_ARTICLES) is None:
        db.session.add(Counter(name=PUBLISHED_ARTICLES, value=0))
        db.session.flush()
    db.session.execute(
        sa.update(Counter)
        .where(Counter.name == PUBLISHED_ARTICLES)
        .values(value=total)
        .execution_options(synchronize_session=False)
    )
    per_tag = (
        sa.select(sa.func.count())
        .select_from(article_tags.join(Article, Article.id == article_tags.c.article_id))
        .where(article_tags.c.tag_id == Tag.id, q.published())
    ).scalar_subquery()
    db.session.execute(
        sa.update(Tag).values(published_count=per_tag).execution_options(synchronize_session=False)
    )
