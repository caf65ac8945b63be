"""Statements for article lists, single articles and their viewer-specific flags.

Values may be given as plain values or as bound parameters (`sa.bindparam`),
so that a caller can build a statement once and run it with new values:
building one costs more Python than running it (`inkwell.services.listing`).

An article row is always fetched with everything a caller renders: the author
(joined), its tag names, the favorite count and the viewer's `favorited` and
`following` flags (correlated subqueries served by primary keys). A page
therefore costs one statement whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, joinedload

from inkwell.dialects import byte_length, name_list
from inkwell.models import Article, Favorite, Follow, Tag, User, article_tags
from inkwell.models.base import UTCDateTime

T = TypeVar("T")
Value: TypeAlias = T | sa.BindParameter[T]
"""A value a statement compares with: given now, or bound when it runs."""


@dataclass(frozen=True, slots=True)
class Newest:
    """Newest first: by a publication time, then by an article id that breaks ties.

    Two places hold that order: the articles' own columns, which the
    (published_at, id) indexes serve, and a tag's links, which carry their
    article's time and whose (tag_id, published_at, article_id) index holds
    a tag's articles in it. A tag's page ordered by the articles' columns
    made SQLite and MariaDB collect and sort every article the tag has.
    """

    published_at: sa.ColumnElement[datetime | None]
    article_id: sa.ColumnElement[int]

    @property
    def first(self) -> tuple[sa.UnaryExpression[datetime | None], sa.UnaryExpression[int]]:
        """The ORDER BY terms."""
        return (self.published_at.desc(), self.article_id.desc())

    def older_than(
        self, published_at: Value[datetime], article_id: Value[int]
    ) -> sa.ColumnElement[bool]:
        """Rows after (`published_at`, `article_id`) in this order: a keyset page
        that the order's index serves at any depth."""
        if not isinstance(published_at, sa.BindParameter):
            published_at = sa.literal(published_at, UTCDateTime())
        return sa.tuple_(self.published_at, self.article_id) < sa.tuple_(
            published_at, sa.literal(article_id) if isinstance(article_id, int) else article_id
        )


BY_ARTICLE = Newest(Article.__table__.c.published_at, Article.__table__.c.id)
BY_TAG_LINK = Newest(article_tags.c.published_at, article_tags.c.article_id)
NEWEST_FIRST = BY_ARTICLE.first


def published() -> sa.ColumnElement[bool]:
    """Articles anyone may read: published and not withheld (`Article.is_listed`).

    A withheld article keeps its publication time, so that reinstating its
    author lists it again where it was; every reader's list, count and page
    goes through this one condition.
    """
    return sa.and_(Article.published_at.is_not(None), sa.not_(Article.withheld))


def visible_to(viewer_id: Value[int] | None) -> sa.ColumnElement[bool]:
    """Articles `viewer_id` may read: listed ones, and their own drafts."""
    if viewer_id is None:
        return published()
    return sa.or_(published(), Article.author_id == viewer_id)


def tagged(name: Value[str]) -> sa.ColumnElement[bool]:
    """Articles carrying the tag `name`, each probed by the link's key.

    For lists where another filter leads (an author's articles, a reader's
    favorites): the cost follows that filter's matches, not the tag's size.
    A tag alone is read from its links instead (`tag_links`, `linked_to_tag`).
    """
    return sa.exists().where(
        article_tags.c.article_id == Article.id, article_tags.c.tag_id == _tag_id(name)
    )


def tag_links(name: Value[str]) -> sa.ColumnElement[bool]:
    """The links of the tag `name` to published articles: one range of the links'
    (tag_id, published_at, article_id) index, in `BY_TAG_LINK` order.

    A link carries its article's publication time (`services.tag_links`), so
    the articles themselves need not be read to know which are published.
    """
    return sa.and_(article_tags.c.tag_id == _tag_id(name), article_tags.c.published_at.is_not(None))


def _tag_id(name: Value[str]) -> sa.ScalarSelect[int]:
    """The id of the tag called `name`; NULL, which matches no link, if there is none."""
    return sa.select(Tag.id).where(Tag.name == name).scalar_subquery()


def linked_to_tag(name: Value[str]) -> sa.ColumnElement[bool]:
    """Published articles carrying the tag `name`, each joined to its link (one:
    the link's key is (article_id, tag_id)), so that a list of the tag alone can
    be read in the links' order, `BY_TAG_LINK`.

    With another filter, `tagged` suits better: that filter's index leads.
    """
    return sa.and_(article_tags.c.article_id == Article.id, tag_links(name))


def written_by(username_key: Value[str]) -> sa.ColumnElement[bool]:
    """Articles by the user whose `username_key` (`models.identity.identity_key`) this is."""
    author_id = sa.select(User.id).where(User.username_key == username_key)
    return Article.author_id == author_id.scalar_subquery()


def favorited_by(username_key: Value[str]) -> sa.ColumnElement[bool]:
    """Articles that the user whose `username_key` this is has favorited."""
    return Article.id.in_(
        sa.select(Favorite.article_id)
        .join(User, User.id == Favorite.user_id)
        .where(User.username_key == username_key)
    )


def followed_by(user_id: Value[int]) -> sa.ColumnElement[bool]:
    """Articles by authors that `user_id` follows: the feed."""
    return Article.author_id.in_(sa.select(Follow.followee_id).where(Follow.follower_id == user_id))


def favorites_count() -> sa.ScalarSelect[int]:
    """How many users favorited the article in the surrounding query."""
    return (
        sa.select(sa.func.count())
        .where(Favorite.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )


def is_favorited(viewer_id: Value[int] | None) -> sa.ColumnElement[bool]:
    """Whether the viewer favorited the article; false for anonymous viewers."""
    if viewer_id is None:
        return sa.false()
    return sa.exists().where(Favorite.article_id == Article.id, Favorite.user_id == viewer_id)


def is_following(
    viewer_id: Value[int] | None, author_id: QueryableAttribute[int]
) -> sa.ColumnElement[bool]:
    """Whether the viewer follows `author_id`; false for anonymous viewers."""
    if viewer_id is None:
        return sa.false()
    return sa.exists().where(Follow.follower_id == viewer_id, Follow.followee_id == author_id)


def tag_list() -> sa.ScalarSelect[list[str]]:
    """The names of the tags on the article in the surrounding query, sorted."""
    return (
        sa.select(name_list(Tag.name))
        .select_from(article_tags.join(Tag, Tag.id == article_tags.c.tag_id))
        .where(article_tags.c.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )


def article_rows(viewer_id: Value[int] | None) -> sa.Select[Article, list[str], int, bool, bool]:
    """Articles with their author, tag names, favorite count and the viewer's flags."""
    return sa.select(
        Article,
        tag_list().label("tags"),
        favorites_count().label("favorites_count"),
        is_favorited(viewer_id).label("favorited"),
        is_following(viewer_id, Article.author_id).label("following"),
    ).options(joinedload(Article.author))


def article_cards(viewer_id: Value[int] | None) -> sa.Select[*tuple[Any, ...]]:
    """The columns a list shows, with the author's, the favorite count and the
    viewer's flags: plain rows, no ORM objects to build."""
    return sa.select(
        Article.id,
        Article.slug,
        Article.title,
        Article.description,
        Article.author_id,
        Article.created_at,
        Article.updated_at,
        Article.published_at,
        User.username,
        User.bio,
        User.image_url,
        tag_list().label("tags"),
        favorites_count().label("favorites_count"),
        is_favorited(viewer_id).label("favorited"),
        is_following(viewer_id, Article.author_id).label("following"),
    ).join(User, User.id == Article.author_id)


def html_up_to(version: int, longest: int) -> sa.ColumnElement[str | None]:
    """The stored HTML where renderer `version` made it and it is at most `longest`
    bytes, else NULL: a feed reads no HTML it would leave out."""
    return _at_most(Article.body_html, longest, Article.body_html_version == version)


def markdown_to_render(version: int, longest: int) -> sa.ColumnElement[str | None]:
    """The body where another renderer than `version` made the stored HTML and the
    body is at most `longest` bytes, else NULL: what a feed renders on read."""
    return _at_most(Article.body, longest, Article.body_html_version != version)


def _at_most(
    column: QueryableAttribute[str], longest: int, condition: sa.ColumnElement[bool]
) -> sa.ColumnElement[str | None]:
    """`column` where `condition` holds and it is at most `longest` bytes, else NULL."""
    return sa.case((sa.and_(condition, byte_length(column) <= longest), column), else_=sa.null())


def count_matching(*criteria: sa.ColumnElement[bool]) -> sa.Select[int]:
    """How many articles meet `criteria`, for a list's total."""
    return sa.select(sa.func.count()).select_from(Article).where(*criteria)


def page_ids(
    criteria: list[sa.ColumnElement[bool]],
    limit: Value[int],
    offset: Value[int],
    newest: Newest = BY_ARTICLE,
) -> sa.Subquery:
    """The ids of one newest-first page of the articles meeting `criteria`, in the
    order `newest` reads (a tag's page: `BY_TAG_LINK`, with `tag_links`).

    A deferred join: the ids come from the order's index alone (an index-only
    scan on PostgreSQL) before any row is read, so a deep offset walks index
    entries rather than whole rows.
    """
    return (
        sa.select(newest.article_id.label("id"))
        .where(*criteria)
        .order_by(*newest.first)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )


def taken_slugs(candidates: list[str]) -> sa.Select[str]:
    """Which of the slugs `candidates` articles already have."""
    return sa.select(Article.slug).where(Article.slug.in_(candidates))


def sitemap_rows(limit: int) -> sa.Select[str, datetime]:
    """Slugs and last changes of the newest published articles."""
    return (
        sa.select(Article.slug, Article.updated_at)
        .where(published())
        .order_by(*NEWEST_FIRST)
        .limit(limit)
    )


def tags_in_use() -> sa.Select[str]:
    """Names of tags on at least one published article, alphabetically.

    From the tags' kept counts, which change in the same transaction as the
    articles: a semi-join against the articles took 0.6 s at a million.
    """
    return sa.select(Tag.name).where(Tag.published_count > 0).order_by(Tag.name)


def popular_tags(limit: int) -> sa.Select[str]:
    """The `limit` tags on the most published articles, from their kept counts."""
    return (
        sa.select(Tag.name)
        .where(Tag.published_count > 0)
        .order_by(Tag.published_count.desc(), Tag.name)
        .limit(limit)
    )
