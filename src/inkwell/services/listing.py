"""Lists of published articles: filtered, paged by offset (the API's contract) or by
keyset (the site's, as cheap at page 5,000 as at page 1), with kept totals.

Lists read plain rows into frozen cards rather than tracked ORM objects:
building those cost more than the SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.markdown import RENDERER_VERSION, render_markdown
from inkwell.models import Article, User
from inkwell.queries import articles as q
from inkwell.services import totals
from inkwell.services.errors import Invalid
from inkwell.services.results import (
    ArticleCard,
    ArticlePage,
    AuthorCard,
    CardView,
    TagName,
)
from inkwell.services.validation import Checks

PAGE_SIZE_MAX = 100
OFFSET_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a newest-first page ends: the last article's publication time and id.

    Written into URLs as `<microseconds since the epoch>-<id>`.
    """

    published_at: datetime
    article_id: int

    def __str__(self) -> str:
        micros = int(self.published_at.timestamp() * 1_000_000)
        return f"{micros}-{self.article_id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Read a cursor from a URL. Raises Invalid("before") if it is not one."""
        micros, _, article_id = text.partition("-")
        try:
            moment = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
            number = int(article_id)
        except (ValueError, OverflowError, OSError):
            raise Invalid({"before": ["is not a page position"]}) from None
        return cls(moment, number)


@dataclass(frozen=True, slots=True)
class Browse:
    """A keyset page and where the next one starts (None on the last page)."""

    items: list[CardView]
    next: Cursor | None


@dataclass(frozen=True, slots=True)
class ArticleFilters:
    """Which published articles a list shows; usernames match in any letter case."""

    tag: str | None = None
    author: str | None = None
    favorited_by: str | None = None


def list_articles(
    viewer: User | None, filters: ArticleFilters, *, limit: int = 20, offset: int = 0
) -> ArticlePage:
    """Published articles newest first, filtered, one page of them, and the total.

    The total of the whole archive or of one tag is a kept figure (see
    `inkwell.services.totals`); other filters count their matches, which
    stay few as the archive grows (one author's, one reader's favorites).
    """
    total = None
    if filters == ArticleFilters():
        total = totals.published_total
    elif filters.tag is not None and filters == ArticleFilters(tag=filters.tag):
        total = partial(totals.tag_total, filters.tag)
    return _page(viewer, _criteria(filters), limit, offset, total)


def browse_articles(
    viewer: User | None,
    filters: ArticleFilters,
    *,
    before: Cursor | None = None,
    limit: int = 20,
    feed_of: User | None = None,
) -> Browse:
    """A newest-first page starting after `before`, as cheap at page 5,000 as at page 1.

    With `feed_of`, only articles by the authors that user follows.
    """
    with Checks() as checks:
        if not 1 <= limit <= PAGE_SIZE_MAX:
            checks.add("limit", f"must be between 1 and {PAGE_SIZE_MAX}")
    criteria = _criteria(filters)
    if feed_of is not None:
        criteria.append(q.followed_by(feed_of.id))
    if before is not None:
        criteria.append(q.older_than(before.published_at, before.article_id))
    items = _cards(
        q.article_cards(viewer.id if viewer else None)
        .where(*criteria)
        .order_by(*q.NEWEST_FIRST)
        .limit(limit + 1)
    )
    following = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1].article
        following = Cursor(last.published_at or last.created_at, last.id)
    return Browse(items, following)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """An article in a feed, and its HTML unless that is longer than the feed takes."""

    view: CardView
    html: str | None


def latest_articles(filters: ArticleFilters, *, limit: int, html_max: int) -> list[FeedEntry]:
    """The newest published articles, for feeds readers subscribe to, each with its
    HTML if that is at most `html_max` bytes (None: too long for a feed).

    The HTML is the stored one, read only where it is short enough: twenty
    long articles would otherwise be megabytes read per request. Where another
    renderer version stored it, a body of at most `html_max` bytes is
    rendered on read, so the work a request may do stays bounded too.
    """
    rows = db.session.execute(
        q.article_cards(None)
        .add_columns(
            q.html_up_to(RENDERER_VERSION, html_max).label("html"),
            q.markdown_to_render(RENDERER_VERSION, html_max).label("markdown"),
        )
        .where(*_criteria(filters))
        .order_by(*q.NEWEST_FIRST)
        .limit(limit)
    ).all()
    entries = []
    for view, row in zip(_cards_of(rows), rows, strict=True):
        html = row.html
        if row.markdown is not None:
            html = render_markdown(row.markdown)
            html = html if len(html.encode()) <= html_max else None
        entries.append(FeedEntry(view, html))
    return entries


def sitemap_entries(limit: int = 50_000) -> list[tuple[str, datetime]]:
    """(slug, last change) of the newest published articles, for search engines."""
    return [(slug, changed) for slug, changed in db.session.execute(q.sitemap_rows(limit))]


def feed(viewer: User, *, limit: int = 20, offset: int = 0) -> ArticlePage:
    """Published articles by the authors `viewer` follows, newest first."""
    return _page(viewer, [q.published(), q.followed_by(viewer.id)], limit, offset)


def list_drafts(author: User) -> list[CardView]:
    """An author's unpublished articles, most recently edited first."""
    return _cards(
        q.article_cards(author.id)
        .where(Article.author_id == author.id, Article.published_at.is_(None))
        .order_by(Article.updated_at.desc(), Article.id.desc())
    )


def _criteria(filters: ArticleFilters) -> list[sa.ColumnElement[bool]]:
    criteria = [q.published()]
    if filters.tag is not None:
        criteria.append(q.tagged(filters.tag))
    if filters.author is not None:
        criteria.append(q.written_by(filters.author))
    if filters.favorited_by is not None:
        criteria.append(q.favorited_by(filters.favorited_by))
    return criteria


def _page(
    viewer: User | None,
    criteria: list[sa.ColumnElement[bool]],
    limit: int,
    offset: int,
    total: Callable[[], int] | None = None,
) -> ArticlePage:
    """A page of the articles meeting `criteria` and their total, from `total` if given."""
    with Checks() as checks:
        if not 1 <= limit <= PAGE_SIZE_MAX:
            checks.add("limit", f"must be between 1 and {PAGE_SIZE_MAX}")
        if not 0 <= offset <= OFFSET_MAX:
            checks.add("offset", f"must be between 0 and {OFFSET_MAX}")
    count = total() if total else db.session.scalar(q.count_matching(*criteria)) or 0
    items: list[CardView] = []
    if offset < count:
        items = _cards(
            q.article_cards(viewer.id if viewer else None)
            .where(*criteria)
            .order_by(*q.NEWEST_FIRST)
            .limit(limit)
            .offset(offset)
        )
    return ArticlePage(items, count)


def _cards(query: sa.Select[*tuple[Any, ...]]) -> list[CardView]:
    """Run a list query and attach each article's tags with one more statement."""
    return _cards_of(db.session.execute(query).all())


def _cards_of(rows: Sequence[sa.Row[Any]]) -> list[CardView]:
    """Cards for the rows of a list query, with their tags read in one more statement."""
    tags: dict[int, list[TagName]] = {row.id: [] for row in rows}
    if rows:
        for article_id, name in db.session.execute(q.tag_names(list(tags))):
            tags[article_id].append(TagName(name))
    return [
        CardView(
            ArticleCard(
                id=row.id,
                slug=row.slug,
                title=row.title,
                description=row.description,
                author_id=row.author_id,
                created_at=row.created_at,
                updated_at=row.updated_at,
                published_at=row.published_at,
                author=AuthorCard(row.author_id, row.username, row.bio, row.image_url),
                tags=tags[row.id],
            ),
            row.favorites_count,
            bool(row.favorited),
            bool(row.following),
        )
        for row in rows
    ]
