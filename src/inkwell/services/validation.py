"""Collecting every input problem before raising, so a form can show them all at once."""

from __future__ import annotations

import re
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
# The control characters XML 1.0 cannot carry (all of C0 but tab, line feed
# and carriage return) and its two non-characters: text holding them would
# break the Atom feeds and the sitemap. As a regular-expression class body.
UNCARRIED = r"\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
CONTROL = "contains a control character, which feeds cannot carry"
# Characters that change how text reads without showing themselves, as
# regular-expression class bodies: bidirectional embeddings, overrides and
# isolates (which reorder what follows them, as in "Trojan Source"); zero-width
# and other invisible characters; and control characters, which no feed or
# sitemap can carry (XML 1.0 forbids them). Tab, line feed and carriage
# return are ordinary white space. The joiners (ZWJ, ZWNJ) and the
# direction marks (LRM, RLM, ALM) are not here: Persian, Indic scripts,
# emoji and right-to-left writing need them.
BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
HANGUL_FILLERS = r"\u115f\u1160\u3164\uffa0"
INVISIBLE = rf"\u00ad\u180e\u200b\u2060-\u2064\ufeff{HANGUL_FILLERS}"
CONTROLS = r"\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
HIDDEN = BIDI_CONTROLS + INVISIBLE + CONTROLS
HIDDEN_MESSAGE = "contains invisible, control or text-direction characters"
# A letter or digit that shows: what `\w` matches, less the Hangul fillers.
WORD = rf"[^\W{HANGUL_FILLERS}]"
_HIDDEN = re.compile(f"[{HIDDEN}]")
_UNCARRIED = re.compile(f"[{UNCARRIED}]")


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
            self.storable(field, value)
        return cleaned

    def optional_text(self, field: str, value: str | None, *, max_length: int) -> str | None:
        """An optional text: stripped, with blank meaning none; its length as sent."""
        cleaned = (value or "").strip()
        if not cleaned:
            return None
        self.length(field, value or "", max_length)
        self.storable(field, value or "")
        return cleaned

    def storable(self, field: str, value: str) -> None:
        """Record `field` if it holds a NUL, which PostgreSQL cannot store in text,
        or a character no feed can carry (judged as sent). Every interface's text
        passes here, so the answer is the same everywhere, on every database."""
        if "\x00" in value:
            self.add(field, NUL)
        elif _UNCARRIED.search(value):
            self.add(field, CONTROL)

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

    def visible(self, field: str, value: str) -> None:
        """Record `field` if it holds a character from `HIDDEN` (judged as sent),
        unless it was found wrong already."""
        if field not in self.errors and _HIDDEN.search(value):
            self.add(field, HIDDEN_MESSAGE)

    def length(self, field: str, value: str, max_length: int) -> None:
        """Record `field` as too long if it is."""
        if len(value) > max_length:
            self.add(field, f"is too long (maximum is {max_length} characters)")
