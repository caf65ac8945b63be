"""Writing an article and reading it back: create, edit, publish, unpublish, delete,
look up.

Every write decides from the article's row what it changes, and moves the
kept totals (`inkwell.services.totals`), its tag links' copy of its
publication time (`inkwell.services.tag_links`) and its search index row
(`inkwell.services.search_index`) in the same transaction. Those follow the
articles readers see (`Article.is_listed`): a withheld article, whose author
is suspended, is written like a draft and counted nowhere. A
write of the body stores its HTML in the same unit of work
(`inkwell.services.rendering`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import selectinload, undefer

from inkwell.extensions import db
from inkwell.models import Article, Tag, User, utcnow
from inkwell.models.articles import BODY_MAX, DESCRIPTION_MAX, TITLE_MAX
from inkwell.queries import articles as q
from inkwell.services import search_index, tag_links, totals, views
from inkwell.services.errors import Forbidden, NotFound, Suspended
from inkwell.services.rendering import html_columns, is_current, render_body
from inkwell.services.results import ArticleView
from inkwell.services.slugs import free_slug, save_with_slug
from inkwell.services.tags import check_tags, tags_named
from inkwell.services.validation import BLANK, UNSET, Checks, NotSent


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """What an author writes; every field but tags is required."""

    title: str
    description: str
    body: str
    tags: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ArticleEdit:
    """Fields to change on an article; `UNSET` leaves a field as it is.

    None is a value sent as null: blank for the texts, and refused for tags
    too (`[]` clears them).
    """

    title: str | NotSent | None = UNSET
    description: str | NotSent | None = UNSET
    body: str | NotSent | None = UNSET
    tags: Sequence[str] | NotSent | None = UNSET


@dataclass(frozen=True, slots=True)
class ReadyArticle:
    """A draft that passed its checks, its body rendered and a free slug found for it."""

    title: str
    description: str
    body: str
    tags: list[str]
    html: dict[str, Any]
    slug: str


def prepare_article(draft: ArticleDraft) -> ReadyArticle:
    """Check `draft`, render its body and find its title a free slug. Raises Invalid.

    The slow part of writing an article, and none of it needs to hold a write
    lock: an edge may run it before its writing unit begins (on SQLite, while
    other writers hold the lock). A slug another writer takes meanwhile is
    answered by the unique constraint (`save_with_slug`).
    """
    with Checks() as checks:
        title = checks.text("title", draft.title, max_length=TITLE_MAX)
        checks.visible("title", draft.title)
        description = checks.text("description", draft.description, max_length=DESCRIPTION_MAX)
        body = checks.text("body", draft.body, max_length=BODY_MAX, strip=False)
        tag_names = check_tags(checks, draft.tags)
    return ReadyArticle(title, description, body, tag_names, html_columns(body), free_slug(title))


def create_article(
    author: User, draft: ArticleDraft | ReadyArticle, *, publish: bool = True
) -> ArticleView[Article]:
    """Write an article, published now or kept as a draft. Raises Invalid.

    A draft is prepared first (`prepare_article`), in the same unit of work.
    """
    ready = draft if isinstance(draft, ReadyArticle) else prepare_article(draft)
    _may_write(author)
    now = utcnow()
    article = Article(
        author=author,
        title=ready.title,
        description=ready.description,
        body=ready.body,
        tags=tags_named(ready.tags),
        created_at=now,
        updated_at=now,
        published_at=now if publish else None,
        **ready.html,
    )
    if publish:
        totals.add_published(1)
    save_with_slug(article, ready.slug)
    if publish:
        totals.add_tagged(1, [tag.id for tag in article.tags])
        tag_links.stamp(article)
        search_index.refresh(article.id)
    names = sorted(tag.name for tag in article.tags)
    return ArticleView(article, names, favorites_count=0, favorited=False, following=False)


def _may_write(author: User) -> None:
    """Raise Suspended if the author's suspension has committed since the request
    read them.

    The author's row is share-locked until this unit commits, so a suspension
    that starts meanwhile waits for the new article, and then withholds it with
    the rest; one that committed first is seen here (a locking read sees the
    newest row on every database) and the article is refused.
    """
    suspended_at = db.session.scalar(
        sa.select(User.suspended_at).where(User.id == author.id).with_for_update(read=True)
    )
    if suspended_at is not None:
        raise Suspended()


def update_article(
    user: User, slug: str, edit: ArticleEdit, *, publish: bool = False
) -> ArticleView[Article]:
    """Change an article its author owns, and with `publish` make a draft public in
    the same unit of work; a new title moves the slug.

    Checks run in the contract's order: the article must exist (404) and be
    the user's (403) before its fields are judged (422).
    """
    article = find_own_article(user, slug, for_update=True)
    with Checks() as checks:
        title = checks.edited_text("title", edit.title, max_length=TITLE_MAX)
        if isinstance(edit.title, str):
            checks.visible("title", edit.title)
        description = checks.edited_text(
            "description", edit.description, max_length=DESCRIPTION_MAX
        )
        body = checks.edited_text("body", edit.body, max_length=BODY_MAX, strip=False)
        tag_names = _edited_tags(checks, edit.tags)
    if title is not None and title != article.title:
        # The slug goes first, alone: a retried savepoint expires what it flushed.
        save_with_slug(article, free_slug(title, article.slug))
        article.title = title
    if description is not None:
        article.description = description
    if body is not None and (body != article.body or not is_current(article.body_html_version)):
        article.body = body
        render_body(article)
    if tag_names is not None:
        _retag(article, tags_named(tag_names))
    article.updated_at = utcnow()
    db.session.flush()
    if publish:
        _publish(article)
    elif article.is_listed:
        search_index.refresh(article.id)
    return get_article(user, article.slug)


def _retag(article: Article, tags: list[Tag]) -> None:
    """Give `article` exactly `tags`, keeping a listed article's tag totals and the
    time its links carry (a draft's or a withheld article's links carry none, as
    the ORM adds them)."""
    before = {tag.id for tag in article.tags}
    if not article.is_listed or before == {tag.id for tag in tags}:
        article.tags = tags
        return
    totals.hold()
    article.tags = tags
    db.session.flush()
    after = {tag.id for tag in tags}
    totals.add_tagged(1, after - before)
    totals.add_tagged(-1, before - after)
    tag_links.stamp(article)


def publish_article(user: User, slug: str) -> ArticleView[Article]:
    """Make an author's draft public; publishing twice keeps the first date."""
    article = find_own_article(user, slug, for_update=True)
    _publish(article)
    return get_article(user, article.slug)


def _publish(article: Article) -> None:
    """Publish `article` (locked by the caller) now, unless it already is."""
    now = utcnow()
    # Guarded, so that two requests publishing the same draft count it once.
    publishing = db.session.execute(
        sa.update(Article)
        .where(Article.id == article.id, Article.published_at.is_(None))
        .values(published_at=now, updated_at=now)
    )
    if cast(sa.CursorResult[Any], publishing).rowcount and article.is_listed:
        totals.add_published(1)
        totals.add_tagged(1, [tag.id for tag in article.tags])
        tag_links.stamp(article)
    search_index.refresh(article.id)


def unpublish(article: Article) -> bool:
    """Make a published article, whoever wrote it, a draft again; whether this call
    did (False if it was a draft already, or is gone).

    For moderators: the caller checks who may. A listed article leaves the
    totals, its tag pages and the search index; a withheld one was in none of
    them, and comes back as a draft when its author is reinstated.
    """
    if not _locked(article):
        return False
    listed = article.is_listed
    if listed:
        totals.hold()
    unpublishing = db.session.execute(
        sa.update(Article)
        .where(Article.id == article.id, Article.published_at.is_not(None))
        .values(published_at=None, updated_at=utcnow())
    )
    if not cast(sa.CursorResult[Any], unpublishing).rowcount:
        return False
    if listed:
        totals.add_published(-1)
        totals.add_tagged(-1, [tag.id for tag in article.tags])
        tag_links.stamp(article)
        search_index.refresh(article.id)
    return True


def delete_article(user: User, slug: str) -> None:
    """Delete an article its author owns, with its comments, tags and favorites.

    Of several requests deleting one article, only the one whose DELETE found
    the row succeeds (and moves the totals); the others answer NotFound, as
    they would a moment later, whichever database serves them.
    """
    if not remove(find_own_article(user, slug)):
        raise NotFound("article")


def remove(article: Article) -> bool:
    """Delete an article, whoever wrote it, with its comments, tags, favorites and views;
    whether this call's DELETE found the row.

    Only a listed article leaves the totals: a draft or a withheld one was
    never in them.
    """
    if not _locked(article):
        return False
    listed = article.is_listed
    tag_ids = [tag.id for tag in article.tags]
    if listed:
        totals.hold()
    deleted = db.session.execute(sa.delete(Article).where(Article.id == article.id))
    db.session.expunge(article)
    if not cast(sa.CursorResult[Any], deleted).rowcount:
        return False
    if listed:
        totals.add_published(-1)
        totals.add_tagged(-1, tag_ids)
    views.forget_article(article.id)
    return True


def _locked(article: Article) -> bool:
    """Lock `article`'s row and read it afresh, tags included, so what a write
    decides from it (listed or not, which tags count) holds until it commits;
    False if it is gone."""
    fresh = db.session.scalar(
        sa.select(Article)
        .where(Article.id == article.id)
        .with_for_update()
        .options(selectinload(Article.tags))
        .execution_options(populate_existing=True)
    )
    return fresh is not None


def get_article(viewer: User | None, slug: str, *, with_html: bool = False) -> ArticleView[Article]:
    """One article as `viewer` sees it. Drafts exist only for their author.

    `with_html` reads the stored HTML in the same statement, for pages that
    show it (`rendering.body_html`); the API, which returns the Markdown,
    leaves it in the database.
    """
    query = _article_statement(signed_in=viewer is not None, with_html=with_html)
    values = {"slug": slug, "viewer": viewer.id if viewer else None}
    row = db.session.execute(query, values).one_or_none()
    if row is None:
        raise NotFound("article")
    return article_view(row)


@cache
def _article_statement(
    *, signed_in: bool, with_html: bool
) -> sa.Select[Article, list[str], int, bool, bool]:
    """`get_article`'s statement, built once per shape and run with bound values:
    building it cost more Python than the rest of the request."""
    viewer = sa.bindparam("viewer", type_=sa.Integer()) if signed_in else None
    query = q.article_rows(viewer).where(
        Article.slug == sa.bindparam("slug", type_=sa.String()), q.visible_to(viewer)
    )
    return query.options(undefer(Article.body_html)) if with_html else query


def find_article(viewer: User | None, slug: str) -> Article:
    """The article at `slug` if `viewer` may read it. Raises NotFound("article")."""
    article = db.session.scalar(
        sa.select(Article).where(Article.slug == slug, q.visible_to(viewer.id if viewer else None))
    )
    if article is None:
        raise NotFound("article")
    return article


def article_view(row: sa.Row[Article, list[str], int, bool, bool]) -> ArticleView[Article]:
    article, tags, favorites_count, favorited, following = row
    return ArticleView(article, tags, favorites_count, bool(favorited), bool(following))


def find_own_article(user: User, slug: str, *, for_update: bool = False) -> Article:
    """For editing: the article at `slug` if `user` wrote it: NotFound if absent, else Forbidden.

    An article others cannot read (a draft, a withheld one) is NotFound for
    them too. A write passes `for_update`: the row is locked (where the
    database has row locks) and read afresh, so what the write decides from it
    (listed or not, which tags count) cannot change before it commits.
    """
    query = sa.select(Article).where(Article.slug == slug)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    article = db.session.scalar(query)
    if article is None or (not article.is_listed and article.author_id != user.id):
        raise NotFound("article")
    if article.author_id != user.id:
        raise Forbidden("article")
    return article


def _edited_tags(checks: Checks, names: Sequence[str] | NotSent | None) -> list[str] | None:
    """The tags an edit sets, or None to keep them; null is refused like a blank."""
    if names is UNSET:
        return None
    if names is None:
        checks.add("tagList", BLANK)
        return None
    return check_tags(checks, names)
