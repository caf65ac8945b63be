"""Collecting every input problem before raising, so a form can show them all at once."""

from __future__ import annotations

from enum import Enum
from typing import Final, Literal, Self, TypeAlias

from inkwell.services.errors import Invalid

BLANK = "can't be blank"
# The characters `str.strip()` removes, as a regular-expression class body.
# Written out because `\s` means different sets to Python, to JSON Schema
# (ECMAScript) and to test generators; the rules published in the OpenAPI
# document use this, so every reader agrees with what the services do.
SPACE = r"\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NUL = "contains a NUL character, which cannot be stored"


class Unset(Enum):
    """Marks a field a caller did not send, as distinct from sending null."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET
NotSent: TypeAlias = Literal[Unset.UNSET]


class Checks:
    """Gathers `{field: [messages]}` and raises `Invalid` if any were found.

    Used as a context manager: the block validates, and leaving it raises.
    """

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None and self.errors:
            raise Invalid(self.errors)

    def add(self, field: str, message: str) -> None:
        """Record a problem with `field`."""
        self.errors.setdefault(field, []).append(message)

    def text(self, field: str, value: str, *, max_length: int, strip: bool = True) -> str:
        """A required text: not blank, not too long; returned stripped unless told not to.

        The length is the length sent, before stripping: the rule a client
        can read (the OpenAPI document's maxLength) and check for itself.
        """
        cleaned = value.strip() if strip else value
        if not value.strip():
            self.add(field, BLANK)
        else:
            self.length(field, value, max_length)
            self.storable(field, cleaned)
        return cleaned

    def optional_text(self, field: str, value: str | None, *, max_length: int) -> str | None:
        """An optional text: stripped, with blank meaning none; its length as sent."""
        cleaned = (value or "").strip()
        if not cleaned:
            return None
        self.length(field, value or "", max_length)
        self.storable(field, cleaned)
        return cleaned

    def storable(self, field: str, value: str) -> None:
        """Record `field` if it holds a NUL, which PostgreSQL cannot store in text:
        refused here, the answer is the same on every database."""
        if "\x00" in value:
            self.add(field, NUL)

    def edited_text(
        self, field: str, value: str | NotSent | None, *, max_length: int, strip: bool = True
    ) -> str | None:
        """A required text an edit may leave out: None when not sent; sent as null,
        it is blank like an empty string."""
        if value is UNSET:
            return None
        if value is None:
            self.add(field, BLANK)
            return None
        return self.text(field, value, max_length=max_length, strip=strip)

    def length(self, field: str, value: str, max_length: int) -> None:
        """Record `field` as too long if it is."""
        if len(value) > max_length:
            self.add(field, f"is too long (maximum is {max_length} characters)")
