"""Password hashing with argon2id, tuned by argon2-cffi's maintained defaults."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _absent_hash() -> str:
    """Verified against when no account matches, so that a missing account takes
    as long to reject as a wrong password and sign-in does not reveal who exists."""
    return _hasher.hash("inkwell: no such account")


def hash_password(password: str) -> str:
    """An argon2id hash of `password` with a fresh salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash, spend the same time and say no."""
    try:
        return _hasher.verify(password_hash or _absent_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
