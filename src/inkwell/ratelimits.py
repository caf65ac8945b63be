"""Rate-limit rules shared by the API and the web pages, read from the app's settings.

Failed sign-ins count twice: per client address and per account (the email
tried), so neither spraying one password at many accounts nor many addresses
at one account gets far. Registrations count per address.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from inkwell.models.users import identity_key


def login_limit() -> str:
    """INKWELL_LOGIN_LIMIT, e.g. "10 per 15 minutes"."""
    return str(current_app.config["INKWELL_LOGIN_LIMIT"])


def register_limit() -> str:
    """INKWELL_REGISTER_LIMIT, e.g. "100 per hour"."""
    return str(current_app.config["INKWELL_REGISTER_LIMIT"])


def account_key() -> str:
    """The account a sign-in attempt names, from a JSON body or a form."""
    email: Any = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        user = body.get("user") if isinstance(body, dict) else None
        email = user.get("email") if isinstance(user, dict) else None
    return "account:" + (identity_key(email.strip()) if isinstance(email, str) else "?")


def failed_sign_in(response: Any) -> bool:
    """Only refused sign-ins count against the limit."""
    return bool(response.status_code == 401)
