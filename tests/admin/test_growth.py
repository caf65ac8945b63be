"""The growth figures: finished days rolled up once, today counted live, by UTC day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from inkwell.models import Article, Comment, DailyActivity, Favorite, User
from inkwell.services import growth
from inkwell.services.comments import add_comment
from inkwell.services.favorites import favorite_article

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_finished_days_are_rolled_up_once_and_today_counted_live(
    session: sa.orm.Session, make_user: MakeUser, make_article: MakeArticle
) -> None:
    ada = make_user("ada", created_at=at(days_ago(3)))
    bob = make_user("bob", created_at=at(days_ago(1), 23, 59, 59))
    make_user("eve", created_at=at(TODAY, 0, 0, 0))
    pieces = [
        (make_article(ada, "Old", tags=("sea",)), at(days_ago(2))),
        (make_article(ada, "Late", tags=("sea", "sky")), at(days_ago(1), 23, 59, 59)),
        (make_article(bob, "Fresh", tags=("sky",)), at(TODAY, 9)),
    ]
    make_article(bob, "Draft", publish=False)
    for article, moment in pieces:
        article.published_at = moment
    old, late, fresh = (article for article, _ in pieces)
    for who, article in [(bob, late), (ada, late), (bob, old)]:
        favorite_article(who, article.slug)
    for who, article in [(bob, late), (ada, late), (bob, fresh)]:
        add_comment(who, article.slug, "hello")
    session.flush()
    session.execute(
        sa.update(Comment).where(Comment.body == "hello").values(created_at=at(days_ago(1)))
    )
    newest = session.scalars(sa.select(Comment).order_by(Comment.id.desc())).first()
    assert newest is not None
    newest.created_at = at(TODAY, 10)
    session.execute(sa.update(Favorite).values(created_at=at(days_ago(2))))
    session.flush()

    assert growth.needs_roll_up(TODAY, growth.rolled_up_to())
    assert growth.roll_up(TODAY) == growth.KEPT_DAYS
    assert not growth.needs_roll_up(TODAY, growth.rolled_up_to())
    assert growth.roll_up(TODAY) == 0  # nothing left to count
    rows = session.scalars(sa.select(DailyActivity).where(DailyActivity.key == 0))
    assert len(rows.all()) == 4 * growth.KEPT_DAYS

    week = growth.growth(NOW, 7)
    assert week.days == [days_ago(n) for n in range(6, -1, -1)]
    assert week.totals["articles"] == [0, 0, 0, 0, 1, 1, 1]
    assert week.totals["signups"] == [0, 0, 0, 1, 0, 1, 1]
    assert week.totals["comments"] == [0, 0, 0, 0, 0, 2, 1]
    assert week.totals["favorites"] == [0, 0, 0, 0, 3, 0, 0]
    # Leaders come from finished days: today's article and comment count tomorrow.
    assert [(leader.name, leader.value) for leader in week.leaders["tags"]] == [
        ("sea", 2),
        ("sky", 1),
    ]
    assert [(leader.name, leader.value, leader.slug) for leader in week.leaders["favorited"]] == [
        ("Late", 2, late.slug),
        ("Old", 1, old.slug),
    ]
    assert [(leader.name, leader.value) for leader in week.leaders["discussed"]] == [("Late", 2)]
    assert [(leader.name, leader.username) for leader in week.leaders["authors"]] == [
        ("ada", "ada")
    ]
    assert growth.growth(NOW, 1, with_leaders=False).leaders == {}


def test_a_day_is_the_utc_day_whatever_the_session_time_zone(
    session: sa.orm.Session, make_user: MakeUser
) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL TIME ZONE 'Pacific/Auckland'"))
    make_user("night", created_at=at(days_ago(1), 23, 30))
    make_user("morning", created_at=at(TODAY, 0, 30))
    growth.roll_up(TODAY)
    pair = growth.growth(NOW, 2, with_leaders=False)
    assert pair.totals["signups"] == [1, 1]


def test_a_later_roll_up_counts_only_the_days_since(
    session: sa.orm.Session, make_user: MakeUser
) -> None:
    growth.roll_up(TODAY)
    make_user("late", created_at=at(TODAY, 1))
    tomorrow = TODAY + timedelta(days=1)
    assert growth.needs_roll_up(tomorrow + timedelta(days=1), growth.rolled_up_to())
    assert growth.roll_up(tomorrow + timedelta(days=1)) == 2
    stored = session.scalar(
        sa.select(DailyActivity.value).where(
            DailyActivity.kind == "signups", DailyActivity.day == TODAY
        )
    )
    assert stored == 1
