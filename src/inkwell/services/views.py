"""Article views: counting batches of sightings, the day's reader key, and the figures
authors and the dashboard read.

A sighting is one reader's view of one article in one hour, the reader a
keyed hash (`inkwell.scaling.views` makes them and batches them). A batch is
recorded by inserting its sightings into `recent_views`, whose key is the
sighting: those the table already holds (the same reader seen by another app
server, or the same batch recorded twice after a crash) are left out by the
insert itself, and only the new ones are added to the day's totals. So a
batch may be recorded again at any time, by anyone, and counts once.

Everything here runs on the analytics bind (`models.base.ANALYTICS`), which
the session chooses by table.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from inkwell.dialects import add_to_counts, insert_new
from inkwell.extensions import db
from inkwell.models import Article, ArticleViews, ReaderKey, RecentView, User, utcnow
from inkwell.models.base import ANALYTICS

# How long a reader's sighting is kept, so that a late batch (a worker that was
# down) still counts each reader once an hour; older sightings are dropped.
KEPT = timedelta(days=1)
ROWS_PER_STATEMENT = 500
RECENT_VIEWS: sa.Table = RecentView.__table__  # type: ignore[assignment]
ARTICLE_VIEWS: sa.Table = ArticleViews.__table__  # type: ignore[assignment]
READER_KEYS: sa.Table = ReaderKey.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True, order=True)
class Sighting:
    """A reader's view of an article within the UTC hour `hour` (a whole hour)."""

    hour: datetime
    article_id: int
    reader: str


def hour_of(moment: datetime) -> datetime:
    """The whole hour `moment` falls in."""
    return moment.replace(minute=0, second=0, microsecond=0)


def record(sightings: Iterable[Sighting], now: datetime | None = None) -> int:
    """Count the sightings not counted before; how many were new.

    Sightings older than `KEPT` are dropped: they can no longer be told from
    ones already counted; so are those of an article deleted since, when the
    articles are in the same database. Rows go in key order, so that
    concurrent batches lock them in the same order.
    """
    now = now or utcnow()
    horizon = hour_of(now) - KEPT
    fresh = sorted({sighting for sighting in sightings if sighting.hour >= horizon})
    if fresh and shares_main_database():
        # An article deleted since it was read takes its views with it (`forget_article`).
        ids = {sighting.article_id for sighting in fresh}
        there = set(db.session.scalars(sa.select(Article.id).where(Article.id.in_(sorted(ids)))))
        fresh = [sighting for sighting in fresh if sighting.article_id in there]
    dialect = _dialect()
    counted = 0
    for start in range(0, len(fresh), ROWS_PER_STATEMENT):
        chunk = fresh[start : start + ROWS_PER_STATEMENT]
        rows = [
            {"hour": each.hour, "article_id": each.article_id, "reader": each.reader}
            for each in chunk
        ]
        inserted = db.session.execute(
            insert_new(dialect, RECENT_VIEWS, rows, RECENT_VIEWS.c.article_id, RECENT_VIEWS.c.hour)
        ).all()
        per_day = Counter((article_id, hour.date()) for article_id, hour in inserted)
        if per_day:
            totals = [
                {"article_id": article_id, "day": day, "views": views}
                for (article_id, day), views in sorted(per_day.items())
            ]
            db.session.execute(add_to_counts(dialect, ARTICLE_VIEWS, totals, "views"))
        counted += len(inserted)
    return counted


def forget_the_past(now: datetime | None = None) -> None:
    """Delete the sightings older than `KEPT` and the reader keys of finished days:
    after this, no stored hash can be traced to an address. Every flush that wrote
    does it once, and so does `inkwell db maintain`, for a site where nobody reads
    for a while."""
    now = now or utcnow()
    db.session.execute(sa.delete(RecentView).where(RecentView.hour < hour_of(now) - KEPT))
    db.session.execute(sa.delete(ReaderKey).where(ReaderKey.day < now.date()))


def reader_key(connection: sa.Connection, day: date) -> str:
    """The secret readers are hashed with on `day`, made by whichever process asks
    first; on a connection of its own, which the caller commits."""
    find = sa.select(READER_KEYS.c.secret).where(READER_KEYS.c.day == day)
    found = connection.scalar(find)
    if found is None:
        row = {"day": day, "secret": secrets.token_hex(32)}
        connection.execute(insert_new(connection.dialect, READER_KEYS, [row], READER_KEYS.c.day))
        found = connection.scalar(find)
    if found is None:
        raise RuntimeError(f"no reader key for {day} after inserting one")
    return str(found)


def views_of(article_ids: Collection[int]) -> dict[int, int]:
    """Each article's views of all time (absent: none yet), in one statement."""
    if not article_ids:
        return {}
    rows = db.session.execute(
        sa.select(ArticleViews.article_id, sa.func.sum(ArticleViews.views))
        .where(ArticleViews.article_id.in_(sorted(set(article_ids))))
        .group_by(ArticleViews.article_id)
    )
    return {article_id: int(views) for article_id, views in rows}


def views_per_day(since: date) -> dict[date, int]:
    """Every article's views together, per day from `since` (days without any: absent)."""
    rows = db.session.execute(
        sa.select(ArticleViews.day, sa.func.sum(ArticleViews.views))
        .where(ArticleViews.day >= since)
        .group_by(ArticleViews.day)
    )
    return {_as_date(day): int(views) for day, views in rows}


def most_viewed(since: date, limit: int) -> list[tuple[int, int]]:
    """(article id, views) of the `limit` articles read most from `since` on, most first."""
    total = sa.func.sum(ArticleViews.views).label("total")
    rows = db.session.execute(
        sa.select(ArticleViews.article_id, total)
        .where(ArticleViews.day >= since)
        .group_by(ArticleViews.article_id)
        .order_by(total.desc(), ArticleViews.article_id)
        .limit(limit)
    )
    return [(article_id, int(views)) for article_id, views in rows]


@dataclass(frozen=True, slots=True)
class MostRead:
    """An article among the most read of a period, as the dashboard lists it."""

    slug: str
    title: str
    author: str
    views: int


def most_read(since: date, limit: int) -> list[MostRead]:
    """The `limit` articles read most from `since` on, most first, with their titles:
    two statements, one per database (a deleted article's views went with it)."""
    ranked = most_viewed(since, limit)
    if not ranked:
        return []
    rows = db.session.execute(
        sa.select(Article.id, Article.slug, Article.title, User.username)
        .join(User, User.id == Article.author_id)
        .where(Article.id.in_([article_id for article_id, _ in ranked]))
    )
    found = {article_id: (slug, title, author) for article_id, slug, title, author in rows}
    return [
        MostRead(*found[article_id], views) for article_id, views in ranked if article_id in found
    ]


def forget_article(article_id: int) -> None:
    """Delete a deleted article's views, in its unit of work, while the analytics
    tables share the main database, so that an article given its id later (SQLite
    may reuse the largest) starts from none. A database of their own keeps them:
    a deletion must not depend on it. Its sightings expire with the rest."""
    if shares_main_database():
        db.session.execute(sa.delete(ArticleViews).where(ArticleViews.article_id == article_id))


def shares_main_database() -> bool:
    """Whether the analytics tables live in the main database (the default), on its
    engine: then a unit of work spans both, and the articles can be read beside them."""
    return db.engines[ANALYTICS] is db.engine


def _dialect() -> sa.Dialect:
    return db.session.get_bind(mapper=RecentView).dialect


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
