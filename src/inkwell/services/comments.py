"""Comments: adding, listing and deleting them."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Article, Comment, User
from inkwell.models.base import ID_MAX
from inkwell.models.comments import COMMENT_MAX
from inkwell.queries.comments import comment_rows
from inkwell.services.articles import find_article
from inkwell.services.errors import Forbidden, NotFound
from inkwell.services.results import CommentView
from inkwell.services.validation import Checks


def add_comment(author: User, slug: str, body: str) -> CommentView:
    """Comment on an article the author can read. Raises NotFound or Invalid."""
    article = find_article(author, slug)
    with Checks() as checks:
        body = checks.text("body", body, max_length=COMMENT_MAX, strip=False)
    comment = Comment(article_id=article.id, author=author, body=body)
    db.session.add(comment)
    db.session.flush()
    return CommentView(comment, following=False)


def list_comments(viewer: User | None, slug: str) -> list[CommentView]:
    """An article's comments, oldest first, with the viewer's follow flags."""
    return comments_on(viewer, find_article(viewer, slug))


def comments_on(viewer: User | None, article: Article) -> list[CommentView]:
    """The comments on `article`, which the caller has already read as `viewer`
    (the article page), so it is not looked up a second time."""
    rows = db.session.execute(comment_rows(viewer.id if viewer else None, article.id))
    return [CommentView(comment, following) for comment, following in rows]


def delete_comment(user: User, slug: str, comment_id: int) -> None:
    """Delete a comment: its author may, and so may the article's author.

    Of several requests deleting one comment, only the one whose DELETE found
    the row succeeds; the others answer NotFound on every database.
    """
    article = find_article(user, slug)
    comment = locked(comment_id)
    if comment is None or comment.article_id != article.id:
        raise NotFound("comment")
    if user.id not in (comment.author_id, article.author_id):
        raise Forbidden("comment")
    if not remove(comment):
        raise NotFound("comment")


def locked(comment_id: int) -> Comment | None:
    """The comment `comment_id`, locked and read afresh for a deletion (None if there
    is none, or the id is beyond any the database can hold)."""
    if not 0 < comment_id <= ID_MAX:
        return None
    return db.session.scalar(
        sa.select(Comment)
        .where(Comment.id == comment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def remove(comment: Comment) -> bool:
    """Delete a comment, whoever wrote it (the caller checks who may); whether this
    call's DELETE found the row, so that of several deleting it one succeeds."""
    deleted = db.session.execute(sa.delete(Comment).where(Comment.id == comment.id))
    db.session.expunge(comment)
    return bool(cast(sa.CursorResult[Any], deleted).rowcount)
