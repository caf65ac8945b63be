"""Statements for an article's comments, with each author's viewer flag."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from inkwell.models import Comment, User
from inkwell.queries.articles import is_following


def comment_rows(viewer_id: int | None, article_id: int) -> sa.Select[Comment, bool]:
    """An article's comments oldest first, with whether the viewer follows each author.

    Comments by a suspended author are left out, for as long as the suspension
    lasts: they are kept, and shown again when the author is reinstated.
    """
    return (
        sa.select(Comment, is_following(viewer_id, Comment.author_id).label("following"))
        .join(Comment.author)
        .options(contains_eager(Comment.author))
        .where(Comment.article_id == article_id, User.suspended_at.is_(None))
        .order_by(Comment.created_at, Comment.id)
    )
