"""API tokens: JWTs naming the user by id, signed with the app's secret (HS256).

The id, not the username, goes in the token, so renaming oneself keeps every
issued token working. So does the user's credential version: a new password
or "sign out everywhere" raises it, and every token issued before stops
working, without a table of issued tokens (the user's row is read anyway).
"""

from __future__ import annotations

from datetime import timedelta

import jwt
from flask import current_app

from inkwell.http import reads_for
from inkwell.models import User, utcnow
from inkwell.services.accounts import get_user

ALGORITHM = "HS256"
SCHEMES = ("token", "bearer")


class TokenError(Exception):
    """The Authorization header is missing (`missing`) or unusable (`invalid`)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def issue_token(user: User) -> str:
    """A signed token for `user`, valid for INKWELL_TOKEN_TTL_DAYS."""
    reads_for(user.id)  # a new account's first reads must find it
    now = utcnow()
    ttl = timedelta(days=current_app.config["INKWELL_TOKEN_TTL_DAYS"])
    claims = {"sub": str(user.id), "ver": user.credential_version, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM)


def user_from_header(header: str | None) -> User:
    """The user an `Authorization: Token <jwt>` (or `Bearer <jwt>`) header names.

    Raises TokenError("missing") with no header, TokenError("invalid") for a
    malformed, tampered, expired or unsigned token, one naming no user or a
    suspended one, or one issued before the user's credentials were last ended.
    """
    if not header or not header.strip():
        raise TokenError("missing")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in SCHEMES or not token.strip():
        raise TokenError("invalid")
    try:
        claims = jwt.decode(
            token.strip(),
            current_app.config["SECRET_KEY"],
            algorithms=[ALGORITHM],
            options={"require": ["sub", "ver", "exp"]},
        )
        user_id = int(claims["sub"])
        version = claims["ver"]
    except (jwt.PyJWTError, ValueError, TypeError):
        raise TokenError("invalid") from None
    reads_for(user_id)
    user = get_user(user_id)
    if (
        user is None
        or type(version) is not int
        or version != user.credential_version
        or user.suspended_at is not None
    ):
        raise TokenError("invalid")
    return user
