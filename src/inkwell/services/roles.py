"""Who may do what beyond their own content, and changing an account's role.

Every moderation service checks its actor here, itself: the dashboard's
guard is only the first check, so a caller that reaches a service another
way (a script, a future API) cannot skip the rule.
"""

from __future__ import annotations

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import User, utcnow
from inkwell.models.identity import identity_key
from inkwell.models.users import ADMIN, ROLES
from inkwell.services import audit
from inkwell.services.audit import Actor, Target
from inkwell.services.errors import Forbidden, Invalid, NotFound

LAST_ADMIN = "is the last administrator: make another account an administrator first"


def require_moderator(actor: Actor) -> None:
    """Raise Forbidden unless `actor` may act on everyone's content."""
    if isinstance(actor, User) and not actor.can_moderate:
        raise Forbidden("moderation", "needs the editor or admin role")


def require_admin(actor: Actor) -> None:
    """Raise Forbidden unless `actor` may change roles and settings."""
    if isinstance(actor, User) and not actor.is_admin:
        raise Forbidden("administration", "needs the admin role")


def keep_an_admin(user: User) -> None:
    """Raise Forbidden if `user` is the only active administrator, before an action
    that would leave the site with none.

    The active administrators' rows are locked first, so two admins demoting
    or suspending each other at once cannot both succeed: the second waits,
    then sees the first's change (PostgreSQL and MariaDB re-read locked rows;
    SQLite runs one writer at a time).
    """
    if not user.is_admin or user.suspended_at is not None:
        return
    admins = db.session.scalars(
        sa.select(User.id).where(User.role == ADMIN, User.suspended_at.is_(None)).with_for_update()
    ).all()
    if set(admins) <= {user.id}:
        raise Forbidden("user", LAST_ADMIN)


def change_role(actor: Actor, username: str, role: str, reason: str) -> User:
    """Give `username` the `role`, and log it. Only an administrator may."""
    require_admin(actor)
    if role not in ROLES:
        raise Invalid({"role": [f"must be one of {', '.join(ROLES)}"]})
    reason = audit.checked_reason(reason)
    user = account(username, for_update=True)
    if user.role == role:
        return user
    if role != ADMIN:
        keep_an_admin(user)
    before = user.role
    user.role = role
    user.updated_at = utcnow()
    audit.record(actor, audit.ROLE_CHANGE, user_target(user), reason, f"{before} -> {role}")
    return user


def account(username: str, *, for_update: bool = False) -> User:
    """Any account by name, suspended ones too (readers' lookups hide those).
    Raises NotFound("user"). A write passes `for_update` to lock the row."""
    query = sa.select(User).where(User.username_key == identity_key(username))
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    user = db.session.scalar(query)
    if user is None:
        raise NotFound("user")
    return user


def user_target(user: User) -> Target:
    """How the audit log names an account."""
    return Target("user", user.id, user.username)
