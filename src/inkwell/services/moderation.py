"""Moderating accounts and content: each action checks its actor, does the deed
and writes its audit entry, all in the caller's one unit of work.

Suspension is reversible and loses nothing: the account's credentials end
and what it wrote is withheld (`inkwell.services.withholding`), with every
total kept exact, until it is reinstated. Unpublishing and deleting act on
anyone's article or comment, with the same bookkeeping as the author's own.
"""

from __future__ import annotations

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Article, User, utcnow
from inkwell.models.users import MEMBER
from inkwell.services import articles, audit, comments, withholding
from inkwell.services.audit import Actor, Target
from inkwell.services.errors import Forbidden, NotFound
from inkwell.services.roles import account, keep_an_admin, require_moderator, user_target
from inkwell.services.sessions import end_credentials

COMMENT_EXCERPT = 80


def suspend_user(actor: Actor, username: str, reason: str) -> User:
    """Suspend `username`: signed out everywhere, unable to sign in, and what they
    wrote hidden from everyone. Suspending twice changes nothing more."""
    require_moderator(actor)
    reason = audit.checked_reason(reason)
    user = account(username, for_update=True)
    _may_act_on(actor, user)
    if user.suspended_at is not None:
        return user
    keep_an_admin(user)
    user.suspended_at = utcnow()
    end_credentials(user)
    hidden = withholding.withhold(user)
    audit.record(actor, audit.SUSPEND, user_target(user), reason, _articles(hidden, "hidden"))
    return user


def reinstate_user(actor: Actor, username: str, reason: str) -> User:
    """Lift a suspension: the account may sign in again and its writing is shown."""
    require_moderator(actor)
    reason = audit.checked_reason(reason)
    user = account(username, for_update=True)
    _may_act_on(actor, user)
    if user.suspended_at is None:
        return user
    user.suspended_at = None
    shown = withholding.restore(user)
    audit.record(actor, audit.REINSTATE, user_target(user), reason, _articles(shown, "shown"))
    return user


def unpublish_article(actor: Actor, slug: str, reason: str) -> Article:
    """Make anyone's published article a draft again: only its author sees it."""
    require_moderator(actor)
    reason = audit.checked_reason(reason)
    article = _article(slug)
    if articles.unpublish(article):
        audit.record(actor, audit.UNPUBLISH, _article_target(article), reason)
    return article


def delete_article(actor: Actor, slug: str, reason: str) -> None:
    """Delete anyone's article, with its comments and favorites."""
    require_moderator(actor)
    reason = audit.checked_reason(reason)
    article = _article(slug)
    target = _article_target(article)
    if not articles.remove(article):
        raise NotFound("article")
    audit.record(actor, audit.DELETE_ARTICLE, target, reason)


def delete_comment(actor: Actor, comment_id: int, reason: str) -> None:
    """Delete anyone's comment."""
    require_moderator(actor)
    reason = audit.checked_reason(reason)
    comment = comments.locked(comment_id)
    if comment is None:
        raise NotFound("comment")
    excerpt = " ".join(comment.body.split())[:COMMENT_EXCERPT]
    target = Target("comment", comment.id, f"by {comment.author.username}: {excerpt}")
    if not comments.remove(comment):
        raise NotFound("comment")
    audit.record(actor, audit.DELETE_COMMENT, target, reason)


def _may_act_on(actor: Actor, user: User) -> None:
    """Nobody suspends themselves, and an editor acts on members only."""
    if isinstance(actor, User):
        if actor.id == user.id:
            raise Forbidden("user", "cannot be suspended or reinstated by themselves")
        if not actor.is_admin and user.role != MEMBER:
            raise Forbidden("user", "is an editor or admin: only an admin may do that")


def _article(slug: str) -> Article:
    """Any article by slug; `articles.unpublish` and `articles.remove` lock it and
    read it afresh themselves."""
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is None:
        raise NotFound("article")
    return article


def _article_target(article: Article) -> Target:
    return Target("article", article.id, f"{article.slug}: {article.title}")


def _articles(count: int, how: str) -> str:
    return f"{count} article{'s' if count != 1 else ''} {how}"
