"""How account names are compared: as people read them, not as code points.

Two names are the same account when they are equal after Unicode NFKC
normalisation and case folding (`identity_key`): "Ada", "ada" and "ada" in
fullwidth letters are one name. A username is also taken by any name that
looks the same (`skeleton`): each character is replaced by a representative
of the characters Unicode's confusables data (UTS #39, through
confusable-homoglyphs) lists as look-alikes, then case-folded and replaced
again. Letters are compared in the case they are written first, as readers
see them: "BOB" in Cyrillic capitals looks like "BOB", not like "bob" (which
`identity_key` makes the same account as "BOB"), and a capital "I" looks
like a small "l".
"""

from __future__ import annotations

import unicodedata
from functools import cache

from confusable_homoglyphs import categories, confusables

# Scripts that are written together: a Japanese name mixes kanji and kana, a
# Korean one may mix Hangul and hanja. Any other mix of scripts in one name
# (Latin with Cyrillic, say) is how look-alikes are made.
SCRIPTS_WRITTEN_TOGETHER = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "HANGUL"}),
    frozenset({"HAN", "BOPOMOFO"}),
)
# Digits, punctuation and combining marks belong to every script.
SHARED_SCRIPTS = frozenset({"COMMON", "INHERITED"})


def normal_form(value: str) -> str:
    """`value` in Unicode NFKC: compatibility forms (fullwidth, ligatures) made plain."""
    return unicodedata.normalize("NFKC", value)


def identity_key(value: str) -> str:
    """The form in which usernames and emails are compared: NFKC, case-folded.

    Normalised again after folding, which can produce characters NFKC would
    have composed.
    """
    return normal_form(normal_form(value).casefold())


def skeleton(value: str) -> str:
    """What `value` looks like: equal for names a reader cannot tell apart."""
    return _prototypes(identity_key(_prototypes(normal_form(value))))


def scripts(value: str) -> frozenset[str]:
    """The writing systems `value` uses, besides the ones every script shares."""
    return frozenset(categories.alias(char) for char in value) - SHARED_SCRIPTS


def in_one_script(value: str) -> bool:
    """Whether `value` is written in one script (or in scripts written together)."""
    used = scripts(value)
    return len(used) <= 1 or any(used <= together for together in SCRIPTS_WRITTEN_TOGETHER)


def _prototypes(text: str) -> str:
    table = _prototype_table()
    return "".join(table.get(char, char) for char in text)


@cache
def _prototype_table() -> dict[str, str]:
    """Each character that has look-alikes mapped to one representative of them all.

    The data lists, for each character, the single characters and sequences
    it can be mistaken for. Characters linked that way, directly or through
    others, form one group, represented by its lowest code point (for the
    Latin look-alikes, the ASCII letter).
    """
    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while parent.get(char, char) != char:
            char = parent[char]
        return char

    for char, likes in confusables.confusables_data.items():
        for like in likes:
            other = like["c"]
            if len(char) == 1 and len(other) == 1:
                first, second = sorted((root(char), root(other)))
                parent[second] = first
    return {char: root(char) for char in parent}
