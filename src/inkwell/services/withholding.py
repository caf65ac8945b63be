"""Withholding a suspended author's articles from every reader, and listing them again.

A suspension hides what its author wrote without deleting it: each article is
marked `withheld` and stops being listed (`Article.is_listed`), and whatever is
kept about listed articles moves with it in the same transaction: the
published total and each tag's count (`services.totals`), the tag links'
publication time (`services.tag_links`, NULL while withheld) and the search
index's rows (`services.search_index`). An author may have thousands of
articles, so each of these is a statement over the set, not one per article.
Reinstating reverses each exactly, and doing either twice changes nothing
the second time.

The moderation service calls these inside its unit of work, after setting
or clearing the author's `suspended_at`; they only flush.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Article, User
from inkwell.queries import articles as q
from inkwell.services import search_index, tag_links, totals


def withhold(user: User) -> int:
    """Withhold every article `user` wrote, drafts included; how many were not
    withheld before."""
    written = Article.author_id == user.id
    _lock(written)
    totals.move(-1, sa.and_(written, q.published()))
    changed = _mark(written, withheld=True)
    tag_links.copy_written_by(user.id)
    search_index.drop_written_by(user.id)
    return changed


def restore(user: User) -> int:
    """List again every article of `user` that was withheld; how many were."""
    written = Article.author_id == user.id
    _lock(written)
    returning = sa.and_(written, Article.published_at.is_not(None), Article.withheld)
    totals.move(1, returning)
    changed = _mark(written, withheld=False)
    tag_links.copy_written_by(user.id)
    search_index.index_written_by(user.id)
    return changed


def follow_suspensions() -> None:
    """Set every article's `withheld` from its author's suspension, in one statement:
    for content written without the services (an import) and for repair. Recount
    the totals and copy the tag links after it."""
    suspended = (
        sa.exists()
        .where(User.id == Article.author_id, User.suspended_at.is_not(None))
        .correlate(Article)
    )
    db.session.execute(
        sa.update(Article)
        .where(Article.withheld != suspended)
        .values(withheld=suspended)
        .execution_options(synchronize_session=False)
    )


def _lock(written: sa.ColumnElement[bool]) -> None:
    """Lock the author's articles, then the counter row, in the order every article
    writer takes them (the article, then the counter: `_publish`, `remove`), so a
    concurrent edit of one of them waits rather than deadlocks."""
    db.session.execute(sa.select(Article.id).where(written).with_for_update()).all()
    totals.hold()


def _mark(written: sa.ColumnElement[bool], *, withheld: bool) -> int:
    """Set `withheld` on the author's articles that differ; how many did."""
    marked = db.session.execute(
        sa.update(Article)
        .where(written, Article.withheld == (not withheld))
        .values(withheld=withheld)
    )
    return cast(sa.CursorResult[Any], marked).rowcount
