"""Readable URL slugs from titles."""

from __future__ import annotations

import re
import unicodedata

SLUG_WORDS_MAX = 80
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
