"""Favoriting articles: idempotent both ways, so a double click changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Article, Favorite, User
from inkwell.services.articles import find_article, get_article
from inkwell.services.persistence import add_once
from inkwell.services.results import ArticleView


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
