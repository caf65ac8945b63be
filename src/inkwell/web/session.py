"""Who is signed in to the site: Flask-Login over sessions the server keeps.

Flask-Login stores what `get_id` returns in the session cookie and signs it
into the remember-me cookie. Here that is the session's random key, not the
user's id: every sign-in gets new cookies, and ending the session on the
server (signing out, a new password) makes every copy of them worthless.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, request
from flask_login import LoginManager, current_user, login_user

from inkwell.models import User
from inkwell.services.accounts import record_sign_in
from inkwell.services.sessions import SESSION_LIFETIME, session_user, start_session
from inkwell.transactions import followed_by_write

login_manager = LoginManager()
login_manager.login_view = "web.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "basic"


class SessionUser:
    """Adapts a User to what Flask-Login asks of a signed-in user."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User, key: str) -> None:
        self.user = user
        self.key = key

    def get_id(self) -> str:
        return self.key

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


@login_manager.user_loader
def load_user(key: str) -> SessionUser | None:
    """The account whose session the cookie names, if that session is still open."""
    user = session_user(key)
    return SessionUser(user, key) if user else None


def sign_in(user: User, *, remember: bool = False) -> None:
    """Open a new session for `user` and give the browser its cookies.

    The session, and the time of the sign-in, are recorded in a short write of
    their own, after whatever the request has read (checking a password takes
    a third of a second, which SQLite's write lock should not wait for).
    """
    with followed_by_write():
        key = start_session(user)
        record_sign_in(user)
    login_user(SessionUser(user, key), remember=remember)


def session_key() -> str | None:
    """The signed-in browser's session key, or None for a reader."""
    return str(current_user.key) if current_user.is_authenticated else None


def signed_in_user() -> User | None:
    """The signed-in account, or None for a reader."""
    if current_user.is_authenticated:
        account: User = current_user.user
        return account
    return None


def required_user() -> User:
    """The signed-in account of a `@login_required` view."""
    user = signed_in_user()
    if user is None:  # only reachable if a view forgot @login_required
        abort(401)
    return user


def safe_next(default: str) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    # Browsers read "/\\host" like "//host": backslashes are refused outright.
    # Control characters (a CR or LF would split the Location header) never
    # name a place on this site either.
    if (
        target.startswith("/")
        and target.isprintable()
        and not target.startswith("//")
        and "\\" not in target
        and not parts.netloc
    ):
        return target
    return default


def configure_sessions(app: Flask) -> None:
    """Sessions and remember-me cookies: HttpOnly, SameSite=Lax, Secure in production."""
    login_manager.init_app(app)
    secure = bool(app.config["SESSION_COOKIE_SECURE"])
    app.config.update(
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=SESSION_LIFETIME,
    )
