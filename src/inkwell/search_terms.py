"""The search box's query language, read into terms that no engine's parser sees raw.

A reader types words (all must match), `"quoted phrases"`, `-word` to leave
articles out, and `OR` between two terms; the last bare word matches as a
prefix, so `pyth` finds Python while they type. The text is read here, in
Python, into `Terms` made only of words (runs of letters and digits); each
engine's own syntax is then written from those words (`inkwell.fulltext`).
Nothing a reader types can therefore be an operator to FTS5, to
PostgreSQL's `tsquery` or to MariaDB's boolean mode: a lone `"`, `NEAR(`,
`*`, `:` or `&|!()` is punctuation between words, as the engines' own
tokenizers would treat it in an article.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

QUERY_MAX = 256  # characters: a long sentence, far short of a pasted article
TERMS_MAX = 16  # words and phrases: each costs the engine one more index lookup
PREFIX_MIN = 3  # letters before a prefix may match: `a*` would match half the index

# A quoted phrase (closed, or running to the end of the text), or a bare token;
# either may carry a leading `-`.
_TOKEN = re.compile(r'(?P<minus>-?)(?:"(?P<phrase>[^"]*)"?|(?P<bare>[^\s"]+))')
# Letters and digits of any script: what FTS5's unicode61, PostgreSQL's parser
# and InnoDB's tokenizer all keep as words. Underscores, marks and symbols
# (emoji included) separate words, as in the articles' text.
_WORD = re.compile(r"[^\W_]+")


class QueryProblem(ValueError):
    """The text cannot be searched for; the message says why, for the reader."""


@dataclass(frozen=True, slots=True)
class Term:
    """One word, or a phrase of words that must appear in this order."""

    words: tuple[str, ...]
    prefix: bool = False  # the last word matches any word it begins

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True, slots=True)
class Terms:
    """What to look for: every group must match (a group is terms joined by
    `OR`), and no excluded term may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    @property
    def wanted(self) -> list[Term]:
        """Every term a result may contain: what a snippet marks."""
        return [term for group in self.groups for term in group]

    @property
    def loose_phrase(self) -> tuple[str, ...] | None:
        """Single words typed one after another with no `OR`, as a phrase: an
        article holding them side by side ranks above one where they are
        scattered. None where there is no such run of two or more."""
        if any(len(group) > 1 for group in self.groups):
            return None
        words = tuple(group[0].words[0] for group in self.groups if not group[0].is_phrase)
        return words if len(words) > 1 else None


def parse(text: str) -> Terms:
    """Read what a reader typed. Raises QueryProblem when nothing is left to find."""
    text = _printable(text)
    if len(text) > QUERY_MAX:
        raise QueryProblem(f"is too long (at most {QUERY_MAX} characters)")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    joining = False  # the previous token was OR, after a term
    tokens = list(_TOKEN.finditer(text))
    for number, token in enumerate(tokens):
        if token["bare"] == "OR" and not token["minus"]:
            joining = bool(groups)
            continue
        words = tuple(
            word.lower() for word in _WORD.findall(token["phrase"] or token["bare"] or "")
        )
        if not words:
            continue  # punctuation alone, a lone operator, an empty phrase
        last = number == len(tokens) - 1
        prefix = (
            last
            and token["bare"] is not None
            and len(words) == 1
            and len(words[0]) >= PREFIX_MIN
            and not token["minus"]
        )
        term = Term(words, prefix=prefix)
        if token["minus"]:
            excluded.append(term)
            joining = False
        elif joining:
            groups[-1].append(term)
            joining = False
        else:
            groups.append([term])
    if sum(len(group) for group in groups) + len(excluded) > TERMS_MAX:
        raise QueryProblem(f"has too many words (at most {TERMS_MAX} words and phrases)")
    if not groups:
        if excluded:
            raise QueryProblem("needs a word to look for, not only words to leave out")
        raise QueryProblem("needs a word to look for")
    return Terms(tuple(tuple(group) for group in groups), tuple(excluded))


def _printable(text: str) -> str:
    """`text` with control and format characters (NUL, direction marks, joiners)
    as spaces: they separate words on screen, and no engine should see them."""
    return "".join(
        " " if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"} else char
        for char in text
    )
