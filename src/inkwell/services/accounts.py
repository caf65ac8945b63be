"""Registering, signing in and changing one's own account."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from zxcvbn import zxcvbn

from inkwell.extensions import db
from inkwell.models import User, utcnow
from inkwell.models.base import ID_MAX
from inkwell.models.identity import identity_key, in_one_script, normal_form, skeleton
from inkwell.models.users import EMAIL_MAX, IMAGE_URL_MAX, MEMBER, USERNAME_MAX
from inkwell.passwords import hash_password, needs_rehash, verify_password
from inkwell.services.errors import Conflict, Suspended, Unauthorized
from inkwell.services.persistence import conflicts_as
from inkwell.services.sessions import end_credentials
from inkwell.services.validation import BLANK, HIDDEN, SPACE, UNSET, WORD, Checks, NotSent

PASSWORD_MIN = 8
PASSWORD_MAX = 256
# zxcvbn scores a password 0-4 by the guesses it would take; below 2 (under a
# million guesses: the common passwords, keyboard walks, repeated words, the
# username with a digit) an online attack can find it. It reads at most 72
# characters, and a password that long is strong on length alone.
PASSWORD_MIN_SCORE = 2
PASSWORD_SCORED_LENGTH = 72
TOO_EASY = "is too common or too easy to guess: a few unrelated words make a strong one"
BIO_MAX = 2000

# Letters, digits, dot, dash and underscore: safe in a URL path. The letters
# may be of any script, one per name (see `inkwell.models.identity`).
USERNAME_PATTERN = rf"{WORD}(?:{WORD}|[.-])*"
ONE_SCRIPT = "must be written in one script (letters of one alphabet, with digits, '.', '-', '_')"
# Deliberately loose: one @, something on each side, a dot in the domain, and
# nothing invisible. Deliverability is proven by mail, not by a pattern.
EMAIL_PATTERN = rf"[^@{SPACE}{HIDDEN}\x00]+@[^@{SPACE}{HIDDEN}\x00]+\.[^@{SPACE}{HIDDEN}.\x00]+"
# An avatar's address: http or https, a host, then any path, query or fragment,
# without spaces (anything but http(s) could run script in a page).
IMAGE_URL_PATTERN = rf"[hH][tT][tT][pP][sS]?://[^/?#\[\]{SPACE}\x00]+(?:[/?#][^{SPACE}\x00]*)?"
_USERNAME = re.compile(USERNAME_PATTERN)
_IMAGE_URL = re.compile(IMAGE_URL_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)

UNIQUE_COLUMNS: Final = {
    "username_key": "username",
    "username_skeleton": "username",
    "email_key": "email",
}


@dataclass(frozen=True, slots=True)
class AccountChanges:
    """Fields to change on one's own account; `UNSET` leaves a field alone.

    `bio` and `image_url` accept None (or "") to clear them; the others must
    be real values when given.
    """

    username: str | NotSent | None = UNSET
    email: str | NotSent | None = UNSET
    password: str | NotSent | None = UNSET
    bio: str | NotSent | None = UNSET
    image_url: str | NotSent | None = UNSET


def register(username: str, email: str, password: str, *, role: str = MEMBER) -> User:
    """Create an account. Raises Invalid, or Conflict("username"/"email") if taken.

    The password is hashed before the first statement, so that the third of
    a second argon2 takes is never spent inside the unit of work's
    transaction (on SQLite, while holding the write lock).
    """
    with Checks() as checks:
        username = _check_username(checks, username)
        email = _check_email(checks, email)
        _check_password(checks, password, known=(username, email))
    password_hash = hash_password(password)
    _ensure_available(username=username, email=email)
    user = User(username=username, email=email, password_hash=password_hash, role=role)
    with conflicts_as("users", UNIQUE_COLUMNS):
        db.session.add(user)
    return user


def check_password(password: str) -> None:
    """Raise Invalid if `password` is one no account may have (for callers that set
    passwords without registering, such as seeding)."""
    with Checks() as checks:
        _check_password(checks, password)


def authenticate(email: str, password: str) -> User:
    """The account with this email and password.

    Raises Invalid for a blank field, before anything is looked up (a client
    that sent nothing learns that, not that its guess was wrong),
    Unauthorized when no account has this email and password, and Suspended
    when the one that has them is suspended.
    """
    with Checks() as checks:
        for field, value in (("email", email), ("password", password)):
            if not value.strip():
                checks.add(field, BLANK)
    user = db.session.scalar(sa.select(User).where(User.email_key == identity_key(email.strip())))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthorized()
    if user.suspended_at is not None:
        raise Suspended()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.flush()
    return user


def record_sign_in(user: User) -> None:
    """Note that `user` has just signed in: moderators and the account's owner see
    when it was last used. A short write of its own, after the password check."""
    user.last_sign_in_at = utcnow()
    db.session.flush()


def get_user(user_id: int) -> User | None:
    """The account with this id, for interfaces that remember who signed in."""
    return db.session.get(User, user_id) if 0 < user_id <= ID_MAX else None


@dataclass(frozen=True, slots=True)
class ReadyChanges:
    """Changes to an account that passed their checks, a new password already hashed."""

    changes: AccountChanges
    password_hash: str | None


def prepare_account_changes(
    user: User, changes: AccountChanges, *, current_password: str | NotSent = UNSET
) -> ReadyChanges:
    """Judge `changes` to `user` and hash a new password. Raises Invalid.

    Interfaces where a session may be left open (the web pages) pass the
    current password, which is then required to change the email or password.
    Checking it and hashing a new one take argon2 a third of a second each,
    and need no write lock: an edge may do this before its writing unit begins.
    """
    checked = _checked_changes(user, changes, current_password)
    new_hash = hash_password(checked.password) if isinstance(checked.password, str) else None
    return ReadyChanges(checked, new_hash)


def update_account(
    user: User,
    changes: AccountChanges | ReadyChanges,
    *,
    current_password: str | NotSent = UNSET,
    keep_session: str | None = None,
) -> User:
    """Apply `changes` to `user`. Raises Invalid, or Conflict if a new name is taken.

    Changes not yet prepared are prepared first (`prepare_account_changes`,
    with `current_password`). A new password ends every other session and
    every API token issued before it: whoever learned the old one is signed
    out. The web passes the session making the change as `keep_session`.
    """
    ready = (
        changes
        if isinstance(changes, ReadyChanges)
        else prepare_account_changes(user, changes, current_password=current_password)
    )
    checked = ready.changes
    _ensure_available(
        username=_sent(checked.username), email=_sent(checked.email), except_id=user.id
    )
    with conflicts_as("users", UNIQUE_COLUMNS):
        _apply(user, ready)
    if ready.password_hash is not None:
        end_credentials(user, keep_session=keep_session)
    return user


def _checked_changes(
    user: User, changes: AccountChanges, current_password: str | NotSent
) -> AccountChanges:
    """`changes` judged and cleaned: each field is `UNSET` or its new value. Raises Invalid."""
    with Checks() as checks:
        sensitive = _changes_value(changes.email, user.email) or isinstance(changes.password, str)
        if (
            current_password is not UNSET
            and sensitive
            and not verify_password(user.password_hash, current_password)
        ):
            checks.add("current_password", "is incorrect")
        username = _given(checks, "username", changes.username)
        email = _given(checks, "email", changes.email)
        password = _given(checks, "password", changes.password)
        if username is not None:
            username = _check_username(checks, username)
        if email is not None:
            email = _check_email(checks, email)
        if password is not None:
            _check_password(checks, password, known=(user.username, user.email))
        bio, image_url = changes.bio, changes.image_url
        if bio is not UNSET:
            bio = checks.optional_text("bio", bio, max_length=BIO_MAX)
        if image_url is not UNSET:
            image_url = _check_image_url(checks, image_url)
    return AccountChanges(
        username=UNSET if username is None else username,
        email=UNSET if email is None else email,
        password=UNSET if password is None else password,
        bio=bio,
        image_url=image_url,
    )


def _apply(user: User, ready: ReadyChanges) -> None:
    """Write prepared changes onto `user`."""
    changes = ready.changes
    if ready.password_hash is not None:
        user.password_hash = ready.password_hash
    if isinstance(changes.username, str):
        user.username = changes.username
    if isinstance(changes.email, str):
        user.email = changes.email
    if changes.bio is not UNSET:
        user.bio = changes.bio
    if changes.image_url is not UNSET:
        user.image_url = changes.image_url
    user.updated_at = utcnow()


def _sent(value: str | NotSent | None) -> str | None:
    """A text field's value if one was sent."""
    return value if isinstance(value, str) else None


def _changes_value(new: str | NotSent | None, old: str) -> bool:
    return new is not UNSET and new is not None and new.strip() != old


def _given(checks: Checks, field: str, value: str | NotSent | None) -> str | None:
    """A required field's new value, or None when it was not sent; null is blank."""
    if value is UNSET:
        return None
    if value is None:
        checks.add(field, "can't be blank")
    return value


def _check_username(checks: Checks, username: str) -> str:
    """The name in NFKC (fullwidth letters made plain), so it reads as it is stored."""
    username = checks.text("username", username, max_length=USERNAME_MAX)
    if not username or "username" in checks.errors:
        return username
    sent, username = username, normal_form(username)
    if not (_USERNAME.fullmatch(sent) and _USERNAME.fullmatch(username)):
        checks.add("username", "may only contain letters, digits, '.', '-' and '_'")
    elif not in_one_script(username):
        checks.add("username", ONE_SCRIPT)
    else:
        checks.length("username", username, USERNAME_MAX)
    return username


def _check_email(checks: Checks, email: str) -> str:
    email = checks.text("email", email, max_length=EMAIL_MAX)
    if email and "email" not in checks.errors and not _EMAIL.fullmatch(email):
        checks.add("email", "is invalid")
    return email


def _check_password(checks: Checks, password: str, *, known: tuple[str, ...] = ()) -> None:
    """Long enough, not too long, and not easy to guess, also from the account's
    own `known` names."""
    if not password.strip():
        checks.add("password", "can't be blank")
    elif len(password) < PASSWORD_MIN:
        checks.add("password", f"is too short (minimum is {PASSWORD_MIN} characters)")
    elif len(password) > PASSWORD_MAX:
        checks.length("password", password, PASSWORD_MAX)
    elif len(password) < PASSWORD_SCORED_LENGTH:
        estimate = zxcvbn(password, user_inputs=[name for name in known if name])
        if estimate["score"] < PASSWORD_MIN_SCORE:
            checks.add("password", TOO_EASY)


def _check_image_url(checks: Checks, value: str | None) -> str | None:
    """A web address for an avatar, or None to clear it."""
    url = checks.optional_text("image", value, max_length=IMAGE_URL_MAX)
    if url is not None and "image" not in checks.errors and not _IMAGE_URL.fullmatch(url):
        checks.add("image", "must be an http or https URL")
    return url


def _ensure_available(
    *, username: str | None, email: str | None, except_id: int | None = None
) -> None:
    """Raise Conflict early, with the field a person can fix, when a name is taken.

    This only makes the common case friendly: the unique constraints remain
    what actually prevents duplicates under concurrent requests.
    """
    name = identity_key(username) if username is not None else None
    look = skeleton(username) if username is not None else None
    address = identity_key(email) if email is not None else None
    keys = []
    if name is not None:
        keys += [User.username_key == name, User.username_skeleton == look]
    if address is not None:
        keys.append(User.email_key == address)
    if not keys:
        return
    query = sa.select(User.username_key, User.username_skeleton, User.email_key)
    query = query.where(sa.or_(*keys))
    if except_id is not None:
        query = query.where(User.id != except_id)
    for username_key, username_skeleton, email_key in db.session.execute(query):
        if name is not None and (username_key == name or username_skeleton == look):
            raise Conflict("username")
        if address is not None and email_key == address:
            raise Conflict("email")
