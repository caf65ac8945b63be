"""Lists of published articles: filtered, paged by offset (the API's contract) or by
keyset (the site's, as cheap at page 5,000 as at page 1), with kept totals.

Lists read plain rows into frozen cards rather than tracked ORM objects:
building those cost more than the SQL. For the same reason each shape of list
statement (which filters, signed in or not) is built once, with bound
parameters, and run with each request's values: building a statement and its
cache key cost more Python than the database spends running it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.markdown import RENDERER_VERSION, render_markdown
from inkwell.models import Article, User
from inkwell.models.base import UTCDateTime
from inkwell.models.identity import identity_key
from inkwell.queries import articles as q
from inkwell.services import totals
from inkwell.services.errors import Invalid
from inkwell.services.results import (
    ArticleCard,
    ArticlePage,
    ArticleView,
    AuthorCard,
    CardView,
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
    return _page(_Shape.of(viewer, filters), _values(viewer, filters), limit, offset)


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
    shape = replace(_Shape.of(viewer, filters), feed=feed_of is not None, keyset=bool(before))
    values = _values(viewer, filters, limit=limit + 1)
    if feed_of is not None:
        values["follower"] = feed_of.id
    if before is not None:
        values |= {"before_at": before.published_at, "before_id": before.article_id}
    items = cards_of(db.session.connection().execute(_browse_statement(shape), values).all())
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
    shape = _Shape.of(None, filters)
    rows = db.session.execute(
        q.article_cards(None)
        .add_columns(
            q.html_up_to(RENDERER_VERSION, html_max).label("html"),
            q.markdown_to_render(RENDERER_VERSION, html_max).label("markdown"),
        )
        .where(*_criteria(shape))
        .order_by(*shape.newest.first)
        .limit(limit),
        _values(None, filters),
    ).all()
    entries = []
    for view, row in zip(cards_of(rows), rows, strict=True):
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
    shape = _Shape(signed_in=True, feed=True)
    return _page(shape, _values(viewer, ArticleFilters()) | {"follower": viewer.id}, limit, offset)


def list_drafts(author: User) -> list[CardView]:
    """An author's unpublished articles, most recently edited first."""
    query = (
        q.article_cards(author.id)
        .where(Article.author_id == author.id, Article.published_at.is_(None))
        .order_by(Article.updated_at.desc(), Article.id.desc())
    )
    return cards_of(db.session.execute(query).all())


# What list statements bind: built once per shape, run with each request's values.
_VIEWER = sa.bindparam("viewer", type_=sa.Integer())
_TAG = sa.bindparam("tag", type_=sa.String())
_AUTHOR = sa.bindparam("author", type_=sa.String())
_FAVORITED = sa.bindparam("favorited", type_=sa.String())
_FOLLOWER = sa.bindparam("follower", type_=sa.Integer())
_BEFORE_AT = sa.bindparam("before_at", type_=UTCDateTime())
_BEFORE_ID = sa.bindparam("before_id", type_=sa.Integer())
_LIMIT = sa.bindparam("limit", type_=sa.Integer())
_OFFSET = sa.bindparam("offset", type_=sa.Integer())


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which parts a list statement has; the values come separately (`_values`)."""

    signed_in: bool
    tag: bool = False
    author: bool = False
    favorited: bool = False
    feed: bool = False
    keyset: bool = False

    @classmethod
    def of(cls, viewer: User | None, filters: ArticleFilters) -> _Shape:
        return cls(
            signed_in=viewer is not None,
            tag=filters.tag is not None,
            author=filters.author is not None,
            favorited=filters.favorited_by is not None,
        )

    @property
    def tag_alone(self) -> bool:
        """A tag's page: read from the tag's links, whose index holds it in order."""
        return self.tag and not (self.author or self.favorited or self.feed)

    @property
    def newest(self) -> q.Newest:
        """Where the list reads its order: a tag alone from its links; anything else
        from the articles, whose indexes serve an author with or without a tag."""
        return q.BY_TAG_LINK if self.tag_alone else q.BY_ARTICLE


def _values(viewer: User | None, filters: ArticleFilters, **more: Any) -> dict[str, Any]:
    """The values a list statement of `_Shape.of(viewer, filters)` binds.

    Usernames are matched by their identity key, in any letter case.
    """
    return {
        "viewer": viewer.id if viewer else None,
        "tag": filters.tag,
        "author": identity_key(filters.author) if filters.author is not None else None,
        "favorited": (
            identity_key(filters.favorited_by) if filters.favorited_by is not None else None
        ),
        **more,
    }


def _criteria(shape: _Shape) -> list[sa.ColumnElement[bool]]:
    criteria = [q.published()]
    if shape.tag_alone:
        criteria.append(q.linked_to_tag(_TAG))
    elif shape.tag:
        criteria.append(q.tagged(_TAG))
    if shape.author:
        criteria.append(q.written_by(_AUTHOR))
    if shape.favorited:
        criteria.append(q.favorited_by(_FAVORITED))
    if shape.feed:
        criteria.append(q.followed_by(_FOLLOWER))
    if shape.keyset:
        criteria.append(shape.newest.older_than(_BEFORE_AT, _BEFORE_ID))
    return criteria


@cache
def _total_statement(shape: _Shape) -> sa.Select[int]:
    """How many articles a list of `shape` holds (the viewer does not change it).

    The total of the whole archive or of one tag is a kept figure (see
    `inkwell.services.totals`); other filters count their matches, which
    stay few as the archive grows (one author's, one reader's favorites).
    """
    if shape == _Shape(signed_in=False):
        return totals.published_total_query()
    if shape == _Shape(signed_in=False, tag=True):
        return totals.tag_total_query(_TAG)
    return q.count_matching(*_criteria(shape))


@cache
def _page_statement(shape: _Shape) -> sa.Select[Any]:
    """One offset page of a list of `shape`, each row with its tags and the list's total.

    One statement: one round trip, and one consistent view of the data
    without a transaction around two statements.
    """
    if shape.tag_alone:
        page = q.page_ids([q.tag_links(_TAG)], _LIMIT, _OFFSET, q.BY_TAG_LINK)
    else:
        page = q.page_ids(_criteria(shape), _LIMIT, _OFFSET)
    total = _total_statement(replace(shape, signed_in=False))
    return (
        q.article_cards(_VIEWER if shape.signed_in else None)
        .add_columns(total.scalar_subquery().label("total"))
        .join(page, page.c.id == Article.id)
        .order_by(*q.NEWEST_FIRST)
    )


@cache
def _browse_statement(shape: _Shape) -> sa.Select[Any]:
    """The first `limit` articles of a list of `shape`, from the keyset on if it has one."""
    return (
        q.article_cards(_VIEWER if shape.signed_in else None)
        .where(*_criteria(shape))
        .order_by(*shape.newest.first)
        .limit(_LIMIT)
    )


def _page(shape: _Shape, values: dict[str, Any], limit: int, offset: int) -> ArticlePage:
    """A page of a list of `shape` and its total. Only a page past the end, which
    has no row to carry the total, asks for the total alone."""
    with Checks() as checks:
        if not 1 <= limit <= PAGE_SIZE_MAX:
            checks.add("limit", f"must be between 1 and {PAGE_SIZE_MAX}")
        if not 0 <= offset <= OFFSET_MAX:
            checks.add("offset", f"must be between 0 and {OFFSET_MAX}")
    values |= {"limit": limit, "offset": offset}
    rows = db.session.connection().execute(_page_statement(shape), values).all()
    if rows:
        return ArticlePage(cards_of(rows), rows[0].total or 0)
    total = db.session.scalar(_total_statement(replace(shape, signed_in=False)), values)
    return ArticlePage([], total or 0)


def cards_of(rows: Sequence[sa.Row[Any]]) -> list[CardView]:
    """Cards for the rows of a list query (`queries.articles.article_cards`).

    `ArticleView`, not its alias `CardView`: calling a subscripted generic goes
    through `typing` and cost a list page 0.06 ms.
    """
    return [
        ArticleView(
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
            ),
            row.tags,
            row.favorites_count,
            bool(row.favorited),
            bool(row.following),
        )
        for row in rows
    ]
