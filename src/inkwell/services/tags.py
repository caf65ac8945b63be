"""Tags: checking the names an author gives, finding or creating their rows, and
listing the ones in use."""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.models import Tag
from inkwell.models.tags import TAG_MAX
from inkwell.queries import articles as q
from inkwell.services.errors import Conflict
from inkwell.services.persistence import conflicts_as
from inkwell.services.validation import HANGUL_FILLERS, WORD, Checks

TAGS_MAX = 20
TAG_CHARACTERS = (
    "has a tag with other characters than letters, digits, spaces and - _ . + # "
    "(and at least one letter or digit)"
)
# Letters, digits, spaces and `- _ . + #`, with at least one letter or digit
# (`[^\W_]`: a word character that is not `_`); no invisible letters.
TAG_PATTERN = rf"(?:{WORD}|[ .+#-])*[^\W_{HANGUL_FILLERS}](?:{WORD}|[ .+#-])*"
_TAG = re.compile(TAG_PATTERN)


def list_tags() -> list[str]:
    """Every tag on at least one published article, alphabetically."""
    return list(db.session.scalars(q.tags_in_use()))


def popular_tags(limit: int = 20) -> list[str]:
    """The most used tags, most used first."""
    return list(db.session.scalars(q.popular_tags(limit)))


def check_tags(checks: Checks, names: Sequence[str]) -> list[str]:
    """Tags stripped, blanks dropped, duplicates removed, in the order given.

    The count and the lengths are judged as sent, which is the rule a client
    can read in the OpenAPI document and check before sending.

    Every tag gets a page and a feed (`/tag/<name>`), so a name must be one
    path segment a browser keeps as it is: no `/`, `\\` or `?`, and not dots
    alone, which browsers resolve away. Letters and digits of any script,
    spaces and `- _ . + #` cover the tags people use (`c++`, `c#`,
    `node.js`, `machine learning`).
    """
    cleaned = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if len(names) > TAGS_MAX:
        checks.add("tagList", f"has too many tags (maximum is {TAGS_MAX})")
    if any(len(name) > TAG_MAX for name in names):
        checks.add("tagList", f"has a tag that is too long (maximum is {TAG_MAX} characters)")
    if not all(_TAG.fullmatch(name) for name in cleaned):
        checks.add("tagList", TAG_CHARACTERS)
    return cleaned


def tags_named(names: list[str]) -> list[Tag]:
    """The Tag rows for `names` in name order (as they load), creating missing ones."""
    if not names:
        return []
    existing = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            existing[name] = _create_tag(name)
    return [existing[name] for name in sorted(names)]


def _create_tag(name: str) -> Tag:
    tag = Tag(name=name)
    try:
        with conflicts_as("tags", {"name": "tag"}):
            db.session.add(tag)
    except Conflict:
        # Another request created it first; use theirs.
        return db.session.execute(sa.select(Tag).where(Tag.name == name)).scalar_one()
    return tag
