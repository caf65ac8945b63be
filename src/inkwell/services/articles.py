"""Writing, publishing, reading, listing and favoriting articles."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Article, Favorite, Tag, User, utcnow
from inkwell.models.articles import BODY_MAX, DESCRIPTION_MAX, SLUG_MAX, TITLE_MAX
from inkwell.models.tags import TAG_MAX
from inkwell.queries import articles as q
from inkwell.services import totals
from inkwell.services.errors import Conflict, Forbidden, Invalid, NotFound
from inkwell.services.persistence import add_once, conflicts_as
from inkwell.services.results import (
    ArticleCard,
    ArticlePage,
    ArticleView,
    AuthorCard,
    CardView,
    TagName,
)
from inkwell.services.validation import Checks
from inkwell.slugs import slugify

TAGS_MAX = 20
PAGE_SIZE_MAX = 100
OFFSET_MAX = 2**31 - 1
SLUG_ATTEMPTS = 3
SLUG_NUMBERS = 50


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """What an author writes; every field but tags is required."""

    title: str
    description: str
    body: str
    tags: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ArticleEdit:
    """Fields to change on an article; None leaves a field as it is (tags: `[]` clears)."""

    title: str | None = None
    description: str | None = None
    body: str | None = None
    tags: Sequence[str] | None = None


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


def create_article(
    author: User, draft: ArticleDraft, *, publish: bool = True
) -> ArticleView[Article]:
    """Write an article, published now or kept as a draft. Raises Invalid."""
    with Checks() as checks:
        title = checks.text("title", draft.title, max_length=TITLE_MAX)
        description = checks.text("description", draft.description, max_length=DESCRIPTION_MAX)
        body = checks.text("body", draft.body, max_length=BODY_MAX, strip=False)
        tag_names = _check_tags(checks, draft.tags)
    now = utcnow()
    article = Article(
        author=author,
        title=title,
        description=description,
        body=body,
        tags=_tags_named(tag_names),
        created_at=now,
        updated_at=now,
        published_at=now if publish else None,
    )
    slug = _free_slug(title)  # before the counter row is held: writers queue there
    if publish:
        totals.add_published(1)
    _save_with_slug(article, slug)
    if publish:
        totals.add_tagged(1, [tag.id for tag in article.tags])
    return ArticleView(article, favorites_count=0, favorited=False, following=False)


def update_article(user: User, slug: str, edit: ArticleEdit) -> ArticleView[Article]:
    """Change an article its author owns; a new title moves the slug."""
    article = find_own_article(user, slug)
    with Checks() as checks:
        title = _edited(checks, "title", edit.title, TITLE_MAX)
        description = _edited(checks, "description", edit.description, DESCRIPTION_MAX)
        body = None
        if edit.body is not None:
            body = checks.text("body", edit.body, max_length=BODY_MAX, strip=False)
        tag_names = None if edit.tags is None else _check_tags(checks, edit.tags)
    if title is not None and title != article.title:
        # The slug goes first, alone: a retried savepoint expires what it flushed.
        _save_with_slug(article, _free_slug(title, article.slug))
        article.title = title
    if description is not None:
        article.description = description
    if body is not None:
        article.body = body
    if tag_names is not None:
        _retag(article, _tags_named(tag_names))
    article.updated_at = utcnow()
    db.session.flush()
    return get_article(user, article.slug)


def _retag(article: Article, tags: list[Tag]) -> None:
    """Give `article` exactly `tags`, keeping a published article's tag totals."""
    before = {tag.id for tag in article.tags}
    if article.published_at is None or before == {tag.id for tag in tags}:
        article.tags = tags
        return
    totals.hold()
    article.tags = tags
    db.session.flush()
    after = {tag.id for tag in tags}
    totals.add_tagged(1, after - before)
    totals.add_tagged(-1, before - after)


def publish_article(user: User, slug: str) -> ArticleView[Article]:
    """Make an author's draft public; publishing twice keeps the first date."""
    article = find_own_article(user, slug)
    now = utcnow()
    # Guarded, so that two requests publishing the same draft count it once.
    publishing = db.session.execute(
        sa.update(Article)
        .where(Article.id == article.id, Article.published_at.is_(None))
        .values(published_at=now, updated_at=now)
    )
    if cast(sa.CursorResult[Any], publishing).rowcount:
        totals.add_published(1)
        totals.add_tagged(1, [tag.id for tag in article.tags])
    return get_article(user, article.slug)


def delete_article(user: User, slug: str) -> None:
    """Delete an article its author owns, with its comments, tags and favorites."""
    article = find_own_article(user, slug)
    tag_ids = [tag.id for tag in article.tags]
    deleted = db.session.execute(sa.delete(Article).where(Article.id == article.id))
    # Only the request whose delete found the row counts it (two may race).
    if cast(sa.CursorResult[Any], deleted).rowcount and article.published_at:
        totals.add_published(-1)
        totals.add_tagged(-1, tag_ids)
    db.session.expunge(article)


def get_article(viewer: User | None, slug: str) -> ArticleView[Article]:
    """One article as `viewer` sees it. Drafts exist only for their author."""
    viewer_id = viewer.id if viewer else None
    row = db.session.execute(
        q.article_rows(viewer_id).where(Article.slug == slug, q.visible_to(viewer_id))
    ).one_or_none()
    if row is None:
        raise NotFound("article")
    return _view(row)


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


def latest_articles(filters: ArticleFilters, *, limit: int = 20) -> list[ArticleView[Article]]:
    """The newest published articles with their bodies, for feeds readers subscribe to."""
    rows = db.session.execute(
        q.article_rows(None).where(*_criteria(filters)).order_by(*q.NEWEST_FIRST).limit(limit)
    )
    return [_view(row) for row in rows]


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


def favorite_article(user: User, slug: str) -> ArticleView[Article]:
    """Mark an article as a favorite; doing it twice changes nothing."""
    article = find_article(user, slug)
    add_once(Favorite(user_id=user.id, article_id=article.id))
    return get_article(user, slug)


def unfavorite_article(user: User, slug: str) -> ArticleView[Article]:
    """Remove an article from one's favorites; doing it twice changes nothing."""
    article = find_article(user, slug)
    db.session.execute(
        sa.delete(Favorite).where(Favorite.user_id == user.id, Favorite.article_id == article.id)
    )
    return get_article(user, slug)


def list_tags() -> list[str]:
    """Every tag on at least one published article, alphabetically."""
    return list(db.session.scalars(q.tags_in_use()))


def popular_tags(limit: int = 20) -> list[str]:
    """The most used tags, most used first."""
    return list(db.session.scalars(q.popular_tags(limit)))


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


def find_article(viewer: User | None, slug: str) -> Article:
    """The article at `slug` if `viewer` may read it. Raises NotFound("article")."""
    article = db.session.scalar(
        sa.select(Article).where(Article.slug == slug, q.visible_to(viewer.id if viewer else None))
    )
    if article is None:
        raise NotFound("article")
    return article


def _cards(query: sa.Select[*tuple[Any, ...]]) -> list[CardView]:
    """Run a list query and attach each article's tags with one more statement."""
    rows = db.session.execute(query).all()
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


def _view(row: sa.Row[Article, int, bool, bool]) -> ArticleView[Article]:
    article, favorites_count, favorited, following = row
    return ArticleView(article, favorites_count, bool(favorited), bool(following))


def find_own_article(user: User, slug: str) -> Article:
    """For editing: the article at `slug` if `user` wrote it: NotFound if absent, else Forbidden."""
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is None or (article.is_draft and article.author_id != user.id):
        raise NotFound("article")
    if article.author_id != user.id:
        raise Forbidden("article")
    return article


def _edited(checks: Checks, field: str, value: str | None, max_length: int) -> str | None:
    return None if value is None else checks.text(field, value, max_length=max_length)


def _check_tags(checks: Checks, names: Sequence[str]) -> list[str]:
    """Tags stripped, blanks dropped, duplicates removed, in the order given."""
    cleaned = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if len(cleaned) > TAGS_MAX:
        checks.add("tagList", f"has too many tags (maximum is {TAGS_MAX})")
    for name in cleaned:
        if len(name) > TAG_MAX:
            checks.add("tagList", f"has a tag that is too long (maximum is {TAG_MAX} characters)")
            break
    return cleaned


def _tags_named(names: list[str]) -> list[Tag]:
    """The Tag rows for `names` in name order (as they load), creating missing ones."""
    if not names:
        return []
    existing = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            existing[name] = _create_tag(name)
    return [existing[name] for name in sorted(names)]


def _create_tag(name: str) -> Tag:
    tag = Tag(name=name)
    try:
        with conflicts_as("tags", {"name": "tag"}):
            db.session.add(tag)
    except Conflict:
        # Another request created it first; use theirs.
        return db.session.execute(sa.select(Tag).where(Tag.name == name)).scalar_one()
    return tag


def _free_slug(title: str, current: str | None = None) -> str:
    """A readable slug for `title`: the title itself, else the first free number
    after it (`title-2` up to `title-50`), else a random suffix.

    One lookup of exact candidates, which the unique index answers at any
    archive size; a prefix search (`LIKE 'title-%'`) would read every slug on
    PostgreSQL and SQLite, whose default collations keep LIKE off the index.
    """
    base = slugify(title)[: SLUG_MAX - 12]
    candidates = [base, *(f"{base}-{number}" for number in range(2, SLUG_NUMBERS + 1))]
    taken = set(db.session.scalars(q.taken_slugs(candidates))) - {current}
    return next((slug for slug in candidates if slug not in taken), None) or _random_slug(base)


def _random_slug(base: str) -> str:
    return f"{base}-{secrets.token_hex(4)}"


def _save_with_slug(article: Article, slug: str) -> None:
    """Give `article` the slug `slug` and flush it.

    If a concurrent request took that slug since it was found free, the unique
    constraint says so and a random suffix is tried instead.
    """
    chosen = slug
    for _ in range(SLUG_ATTEMPTS):
        article.slug = slug
        try:
            with conflicts_as("articles", {"slug": "slug"}):
                db.session.add(article)
            return
        except Conflict:
            slug = _random_slug(chosen)
    raise Conflict("slug")
