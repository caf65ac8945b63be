"""Readable URL slugs from titles, and a free one for each article.

Slugs are unique; a title that is taken gets the first free number after
it, and a concurrent writer taking the same slug first is answered by the
unique constraint, not by a lock.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from inkwell.extensions import db
from inkwell.models import Article
from inkwell.models.articles import SLUG_MAX
from inkwell.queries import articles as q
from inkwell.services.errors import Conflict
from inkwell.services.persistence import conflicts_as

SLUG_WORDS_MAX = 80
SLUG_ATTEMPTS = 3
SLUG_NUMBERS = 50
# Slugs that name something else where an article's would stand: the API's
# `/api/articles/feed` is the feed, so an article there could never be read.
RESERVED = frozenset({"feed"})
FALLBACK = "article"

_NOT_WORD = re.compile(r"[^\w]+|_+", re.UNICODE)


def slugify(title: str) -> str:
    """`"Café déjà vu!"` → `"cafe-deja-vu"`; other scripts keep their letters.

    Accents are dropped (NFKD, then combining marks removed) so Latin titles
    give plain ASCII, while a title in, say, Japanese keeps its characters
    instead of collapsing to nothing.
    """
    decomposed = unicodedata.normalize("NFKD", title)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    slug = _NOT_WORD.sub("-", unicodedata.normalize("NFKC", stripped).lower()).strip("-")
    slug = slug[:SLUG_WORDS_MAX].rstrip("-")
    return slug or FALLBACK


def free_slug(title: str, current: str | None = None) -> str:
    """A readable slug for `title`: the title itself, else the first free number
    after it (`title-2` up to `title-50`), else a random suffix.

    One lookup of exact candidates, which the unique index answers at any
    archive size; a prefix search (`LIKE 'title-%'`) would read every slug on
    PostgreSQL and SQLite, whose default collations keep LIKE off the index.
    """
    base = slugify(title)[: SLUG_MAX - 12]
    candidates = [base, *(f"{base}-{number}" for number in range(2, SLUG_NUMBERS + 1))]
    taken = set(db.session.scalars(q.taken_slugs(candidates))) - {current} | RESERVED
    return next((slug for slug in candidates if slug not in taken), None) or _random_slug(base)


def _random_slug(base: str) -> str:
    return f"{base}-{secrets.token_hex(4)}"


def save_with_slug(article: Article, slug: str) -> None:
    """Give `article` the slug `slug` and flush it.

    If a concurrent request took that slug since it was found free, the unique
    constraint says so and a random suffix is tried instead.
    """
    chosen = slug
    for _ in range(SLUG_ATTEMPTS):
        article.slug = slug
        try:
            with conflicts_as("articles", {"slug": "slug"}):
                db.session.add(article)
            return
        except Conflict:
            slug = _random_slug(chosen)
    raise Conflict("slug")
