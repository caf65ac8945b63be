"""The site's growth per day, as the dashboard charts it.

Counting a year of articles, comments, sign-ups and favorites per request
would read every row of the year, a cost that grows with the site. Finished
UTC days are counted once instead, into `daily_activity` (`roll_up`), each
from the day's range of an indexed timestamp; a page then reads a few
hundred small rows, and counts only today live, from the range since
midnight. A day's figures are what its rows were when it was rolled up:
content deleted later still counts on the day it was written.

Each day also keeps its leaders, the 20 tags, articles and authors with
the most that day; a period's leaders are the sums of its days' leaders. A
tag just outside every day's 20 is missed: the price of reading a year in a
few hundred rows, and no leader of a period is ever over-counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute

from inkwell.dialects import utc_day
from inkwell.extensions import db
from inkwell.models import Article, Comment, DailyActivity, Favorite, Tag, User, article_tags

KEPT_DAYS = 365
LEADERS_PER_DAY = 20
LEADERS_SHOWN = 10
TOTAL = 0  # the `key` of a day's total


Column = sa.ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True, slots=True)
class Measure:
    """A figure counted per day: the timestamp that places a row on its day, and the
    rows it counts (grouped by `key` for leaders)."""

    moment: Column
    source: sa.FromClause
    key: Column | None = None


TOTALS: dict[str, Measure] = {
    "articles": Measure(Article.published_at, Article.__table__),
    "comments": Measure(Comment.created_at, Comment.__table__),
    "signups": Measure(User.created_at, User.__table__),
    "favorites": Measure(Favorite.created_at, Favorite.__table__),
}
LEADERS: dict[str, Measure] = {
    "tags": Measure(
        Article.published_at,
        Article.__table__.join(article_tags, article_tags.c.article_id == Article.id),
        article_tags.c.tag_id,
    ),
    "favorited": Measure(Favorite.created_at, Favorite.__table__, Favorite.article_id),
    "discussed": Measure(Comment.created_at, Comment.__table__, Comment.article_id),
    "authors": Measure(Article.published_at, Article.__table__, Article.author_id),
}
LABELS = {
    "articles": "Articles published",
    "comments": "Comments",
    "signups": "Sign-ups",
    "favorites": "Favorites",
    "tags": "Top tags",
    "favorited": "Most favorited articles",
    "discussed": "Most discussed articles",
    "authors": "Most active authors",
}


def midnight(day: date) -> datetime:
    """The start of a UTC day."""
    return datetime.combine(day, time(), tzinfo=UTC)


def rolled_up_to() -> date | None:
    """The last day rolled up, if any."""
    last: date | None = db.session.scalar(
        sa.select(sa.func.max(DailyActivity.day)).where(DailyActivity.kind == "articles")
    )
    return last


def needs_roll_up(today: date, last: date | None) -> bool:
    """Whether a finished day is missing (yesterday, at most a year back)."""
    return last is None or last < today - timedelta(days=1)


def roll_up(today: date) -> int:
    """Count every finished day not yet counted, up to a year back; how many days.

    Flushes in a savepoint: should another process roll up the same days at
    the same moment, its rows stand and these are dropped, as they are the same.
    """
    last = rolled_up_to()
    first = today - timedelta(days=KEPT_DAYS)
    if last is not None:
        first = max(first, last + timedelta(days=1))
    if first >= today:
        return 0
    days = [first + timedelta(days=n) for n in range((today - first).days)]
    rows = []
    for kind, measure in TOTALS.items():
        counted = dict(_per_day(measure, midnight(first), midnight(today)))
        rows += [
            {"kind": kind, "day": day, "key": TOTAL, "value": counted.get(day, 0)} for day in days
        ]
    for kind, measure in LEADERS.items():
        rows += [
            {"kind": kind, "day": day, "key": key, "value": value}
            for day, key, value in _leaders_per_day(measure, midnight(first), midnight(today))
        ]
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(DailyActivity), rows)
    except IntegrityError:
        return 0
    return len(days)


def _in_range(measure: Measure, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(measure.moment >= start, measure.moment < end)


def _per_day(measure: Measure, start: datetime, end: datetime) -> list[Any]:
    day = utc_day(measure.moment).label("day")
    return list(
        db.session.execute(
            sa.select(day, sa.func.count())
            .select_from(measure.source)
            .where(_in_range(measure, start, end))
            .group_by(day)
        )
    )


def _leaders_per_day(measure: Measure, start: datetime, end: datetime) -> list[Any]:
    assert measure.key is not None  # noqa: S101  (LEADERS all have keys)
    day = utc_day(measure.moment).label("day")
    counted = sa.func.count().label("value")
    rank = sa.func.row_number().over(partition_by=day, order_by=(counted.desc(), measure.key))
    ranked = (
        sa.select(day, measure.key.label("key"), counted, rank.label("rank"))
        .select_from(measure.source)
        .where(_in_range(measure, start, end))
        .group_by(day, measure.key)
        .subquery()
    )
    return list(
        db.session.execute(
            sa.select(ranked.c.day, ranked.c.key, ranked.c.value).where(
                ranked.c.rank <= LEADERS_PER_DAY
            )
        )
    )


@dataclass(frozen=True, slots=True)
class Leader:
    """One of a period's leaders: what to call it, where it lives, and its figure."""

    name: str
    value: int
    slug: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Growth:
    """A period's figures: each total per day, oldest first, and its leaders."""

    days: list[date]
    totals: dict[str, list[int]]
    leaders: dict[str, list[Leader]]

    def sum(self, kind: str) -> int:
        return sum(self.totals[kind])


def growth(now: datetime, period: int, *, with_leaders: bool = True) -> Growth:
    """The last `period` days, today included (counted live). Finished days come
    from the roll-up, so roll up first (`needs_roll_up`, `roll_up`)."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=period - 1)
    days = [first + timedelta(days=n) for n in range(period)]
    totals = {kind: [0] * period for kind in TOTALS}
    stored = db.session.execute(
        sa.select(DailyActivity.kind, DailyActivity.day, DailyActivity.value).where(
            DailyActivity.key == TOTAL,
            DailyActivity.kind.in_(TOTALS),
            DailyActivity.day >= first,
        )
    )
    for kind, day, value in stored:
        if first <= day < today:
            totals[kind][(day - first).days] = value
    live = db.session.execute(
        sa.select(
            *(
                sa.select(sa.func.count())
                .select_from(measure.source)
                .where(measure.moment >= midnight(today))
                .scalar_subquery()
                for measure in TOTALS.values()
            )
        )
    ).one()
    for kind, value in zip(TOTALS, live, strict=True):
        totals[kind][-1] = value
    leaders = {kind: _period_leaders(kind, first) for kind in LEADERS} if with_leaders else {}
    return Growth(days, totals, leaders)


def _period_leaders(kind: str, first: date) -> list[Leader]:
    """The period's leaders of `kind`: ranked first, then named, so that only the
    few shown are looked up (naming every day's leaders of a year, thousands of
    articles, cost more than the rest of the page)."""
    value = sa.func.sum(DailyActivity.value).label("value")
    summed = (
        sa.select(DailyActivity.key, value)
        .where(DailyActivity.kind == kind, DailyActivity.day >= first)
        .group_by(DailyActivity.key)
        .order_by(value.desc(), DailyActivity.key)
        .limit(LEADERS_SHOWN)
        .subquery()
    )
    named = NAMES[kind](summed)
    rows = db.session.execute(named.order_by(summed.c.value.desc(), sa.literal_column("name")))
    return [Leader(**row._asdict()) for row in rows]


def _tag_names(summed: sa.Subquery) -> sa.Select[Any]:
    return sa.select(Tag.name.label("name"), summed.c.value).join(Tag, Tag.id == summed.c.key)


def _article_names(summed: sa.Subquery) -> sa.Select[Any]:
    return sa.select(Article.title.label("name"), summed.c.value, Article.slug.label("slug")).join(
        Article, Article.id == summed.c.key
    )


def _author_names(summed: sa.Subquery) -> sa.Select[Any]:
    return sa.select(
        User.username.label("name"), summed.c.value, User.username.label("username")
    ).join(User, User.id == summed.c.key)


NAMES: dict[str, Callable[[sa.Subquery], sa.Select[Any]]] = {
    "tags": _tag_names,
    "favorited": _article_names,
    "discussed": _article_names,
    "authors": _author_names,
}
