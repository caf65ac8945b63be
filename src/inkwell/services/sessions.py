"""Site sessions the server can end, and ending every credential a user holds.

A browser holds a random key (in the session cookie and, when asked to keep
one signed in, the remember-me cookie); the server holds the key's digest.
Signing out deletes the row, so a copied cookie stops working at once. API
tokens are stateless and are ended by raising the user's credential version,
which every token carries.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import User, UserSession, utcnow

SESSION_LIFETIME = timedelta(days=30)
KEY_BYTES = 32


def start_session(user: User) -> str:
    """A new session for `user`; returns the key the browser keeps.

    The user's expired sessions are cleared here, so the table holds about
    one row per signed-in browser without a separate clean-up job.
    """
    now = utcnow()
    db.session.execute(
        sa.delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    key = secrets.token_urlsafe(KEY_BYTES)
    db.session.add(
        UserSession(
            key_digest=_digest(key),
            user_id=user.id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    db.session.flush()
    return key


def session_user(key: str) -> User | None:
    """The user whose unexpired session `key` names: one statement, the user's row
    read together with the session's. None for a suspended account, whose
    sessions a suspension ends anyway."""
    return db.session.scalar(
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.key_digest == _digest(key),
            UserSession.expires_at > utcnow(),
            User.suspended_at.is_(None),
        )
    )


def end_session(key: str) -> None:
    """End the session `key` names (signing out): its cookies stop working everywhere."""
    db.session.execute(sa.delete(UserSession).where(UserSession.key_digest == _digest(key)))


def end_credentials(user: User, *, keep_session: str | None = None) -> None:
    """End every session of `user` but `keep_session`, and every API token issued so far.

    Called when the password changes (keeping the session that changed it)
    and to sign out everywhere (keeping none).
    """
    user.credential_version += 1
    ended = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session is not None:
        ended = ended.where(UserSession.key_digest != _digest(keep_session))
    db.session.execute(ended)
    db.session.flush()


def _digest(key: str) -> str:
    """What the table stores of a key: enough to find it, useless to sign in with."""
    return hashlib.sha256(key.encode()).hexdigest()
