"""Domain errors: what went wrong, and with which field or resource.

Every error carries an `errors` mapping shaped like the API's envelope
(`{"field": ["message"]}`), so each interface maps them once: the API to a
status code and that body, the web to form messages, the CLI to a line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class InkwellError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {field: list(messages) for field, messages in errors.items()}
        super().__init__("; ".join(f"{f} {', '.join(m)}" for f, m in self.errors.items()))


class Invalid(InkwellError):
    """Input breaks a rule: blank, too long, malformed."""


class NotFound(InkwellError):
    """No such article, profile or comment (or not one the caller may see)."""

    def __init__(self, resource: str) -> None:
        super().__init__({resource: ["not found"]})
        self.resource = resource


class Forbidden(InkwellError):
    """The caller may see the resource but not do this to it; `reason` says why
    when it is not simply that the resource is someone else's."""

    def __init__(self, resource: str, reason: str = "forbidden") -> None:
        super().__init__({resource: [reason]})
        self.resource = resource
        self.reason = reason


class Suspended(Forbidden):
    """The credentials are right, but the account is suspended: said only once the
    password has been verified, so it tells nothing to whoever guesses."""

    def __init__(self) -> None:
        super().__init__("account", "is suspended")


class Conflict(InkwellError):
    """A unique value (username, email, slug) is already taken."""

    def __init__(self, field: str) -> None:
        super().__init__({field: ["has already been taken"]})
        self.field = field


class Unauthorized(InkwellError):
    """Credentials are wrong; deliberately silent about which part."""

    def __init__(self) -> None:
        super().__init__({"credentials": ["invalid"]})
