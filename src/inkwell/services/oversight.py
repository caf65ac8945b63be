"""What the dashboard lists: every account, article and comment, as moderators see them.

Readers' lists hide drafts, suspended accounts and what they wrote; these
show everything, with the figures a moderator decides by. Each list is one
statement whatever its length (per-row figures are correlated subqueries
served by the author indexes), paged by keyset on the id, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inkwell.extensions import db
from inkwell.models import Article, Comment, Tag, User, article_tags
from inkwell.models.identity import identity_key
from inkwell.models.users import ROLES
from inkwell.services import totals

PAGE_SIZE = 50
ACTIVE, SUSPENDED = "active", "suspended"
ACCOUNT_STATUSES = (ACTIVE, SUSPENDED)


@dataclass(frozen=True, slots=True)
class AccountRow:
    """An account with what it wrote and when it last signed in."""

    user: User
    articles: int
    comments: int


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """`text` matches the start of a username or an email address."""

    text: str = ""
    role: str = ""
    status: str = ""


def accounts(wanted: AccountFilter, *, before_id: int | None = None) -> list[AccountRow]:
    """A page of accounts, newest first."""
    query = sa.select(User, _written(Article), _written(Comment))
    text = wanted.text.strip()
    if text:
        key = identity_key(text)
        query = query.where(
            sa.or_(
                User.username_key.startswith(key, autoescape=True),
                User.email_key.startswith(key, autoescape=True),
            )
        )
    if wanted.role in ROLES:
        query = query.where(User.role == wanted.role)
    if wanted.status == ACTIVE:
        query = query.where(User.suspended_at.is_(None))
    elif wanted.status == SUSPENDED:
        query = query.where(User.suspended_at.is_not(None))
    if before_id is not None:
        query = query.where(User.id < before_id)
    rows = db.session.execute(query.order_by(User.id.desc()).limit(PAGE_SIZE))
    return [AccountRow(user, articles, comments) for user, articles, comments in rows]


def account_figures(user: User) -> AccountRow:
    """One account's figures."""
    row = db.session.execute(
        sa.select(_written(Article), _written(Comment)).where(User.id == user.id)
    ).one()
    return AccountRow(user, row[0], row[1])


def _written(model: type[Article] | type[Comment]) -> sa.ScalarSelect[int]:
    """How many rows of `model` the account in the surrounding query wrote."""
    return (
        sa.select(sa.func.count())
        .select_from(model)
        .where(model.author_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )


DRAFT, PUBLISHED, WITHHELD = "draft", "published", "withheld"
ARTICLE_STATUSES = (PUBLISHED, DRAFT, WITHHELD)


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles: by author (username), status and tag; each narrows."""

    author: str = ""
    status: str = ""
    tag: str = ""


def articles(wanted: ArticleFilter, *, before_id: int | None = None) -> list[Article]:
    """A page of articles, every status, newest first, each with its author and tags."""
    query = sa.select(Article).options(joinedload(Article.author)).join(Article.author)
    if wanted.author.strip():
        query = query.where(User.username_key == identity_key(wanted.author.strip()))
    if wanted.status == DRAFT:
        query = query.where(Article.published_at.is_(None))
    elif wanted.status == PUBLISHED:
        query = query.where(Article.published_at.is_not(None), Article.withheld.is_(False))
    elif wanted.status == WITHHELD:
        # Only suspended authors' articles are withheld: found through their
        # index, where walking every article for the flag would read them all.
        suspended = sa.select(User.id).where(User.suspended_at.is_not(None))
        query = query.where(Article.author_id.in_(suspended), Article.withheld.is_(True))
    if wanted.tag.strip():
        tag = sa.select(Tag.id).where(Tag.name == wanted.tag.strip()).scalar_subquery()
        linked = sa.select(article_tags.c.article_id).where(article_tags.c.tag_id == tag)
        query = query.where(Article.id.in_(linked))
    if before_id is not None:
        query = query.where(Article.id < before_id)
    query = query.order_by(Article.id.desc()).limit(PAGE_SIZE)
    return list(db.session.scalars(query.options(sa.orm.selectinload(Article.tags))))


@dataclass(frozen=True, slots=True)
class CommentRow:
    """A comment with where it was written."""

    comment: Comment
    slug: str
    title: str


def recent_comments(*, before_id: int | None = None) -> list[CommentRow]:
    """The newest comments across the site, with their articles' slugs and titles."""
    query = (
        sa.select(Comment, Article.slug, Article.title)
        .join(Article, Article.id == Comment.article_id)
        .options(joinedload(Comment.author))
    )
    if before_id is not None:
        query = query.where(Comment.id < before_id)
    rows = db.session.execute(query.order_by(Comment.id.desc()).limit(PAGE_SIZE))
    return [CommentRow(comment, slug, title) for comment, slug, title in rows]


@dataclass(frozen=True, slots=True)
class SiteFigures:
    """The site at a glance."""

    published: int
    accounts: int
    suspended: int


def site_figures() -> SiteFigures:
    """One statement: the kept total of published articles, and the accounts
    (a table far smaller than the articles)."""
    suspended = sa.func.count(User.suspended_at)
    row = db.session.execute(
        sa.select(
            totals.published_total_query().scalar_subquery(), sa.func.count(), suspended
        ).select_from(User)
    ).one()
    return SiteFigures(published=row[0] or 0, accounts=row[1], suspended=row[2])
