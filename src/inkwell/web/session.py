"""Who is signed in to the site: Flask-Login sessions over the accounts service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, request
from flask_login import LoginManager, current_user

from inkwell.models import User
from inkwell.services.accounts import get_user

login_manager = LoginManager()
login_manager.login_view = "web.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "basic"


class SessionUser:
    """Adapts a User to what Flask-Login asks of a signed-in user."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    """The account a session cookie names, if it still exists."""
    try:
        user = get_user(int(user_id))
    except ValueError:
        return None
    return SessionUser(user) if user else None


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
    if (
        target.startswith("/")
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
    )
