"""Statements for an article's comments, with each author's viewer flag."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inkwell.models import Comment
from inkwell.queries.articles import is_following


def comment_rows(viewer_id: int | None, article_id: int) -> sa.Select[Comment, bool]:
    """An article's comments oldest first, with whether the viewer follows each author."""
    return (
        sa.select(Comment, is_following(viewer_id, Comment.author_id).label("following"))
        .options(joinedload(Comment.author))
        .where(Comment.article_id == article_id)
        .order_by(Comment.created_at, Comment.id)
    )
