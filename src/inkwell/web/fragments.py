"""Fragments of pages that are the same for every reader, rendered once per process.

An article's card in a list (author, date, hearts, title, description, tags)
is the same HTML for every reader until the article or its favorite count
changes, and rendering twenty of them, with five links built per card, was
most of a list page's time. A card is kept under everything it shows, so a
changed article or count is simply a new key and the old card ages out of a
bounded LRU. Nothing viewer-specific (the signed-in reader's flags) is in a
card.
"""

from __future__ import annotations

from functools import lru_cache

from flask import get_template_attribute, request
from markupsafe import Markup

from inkwell.services.results import ArticleCard, CardView

CARDS_KEPT = 4096


def article_card(view: CardView) -> Markup:
    """The card of `view` in a list, from the process's cache when it was shown before."""
    return _card(view.article, tuple(view.tags), view.favorites_count, request.script_root)


@lru_cache(maxsize=CARDS_KEPT)
def _card(article: ArticleCard, tags: tuple[str, ...], hearts: int, _mounted_at: str) -> Markup:
    """Render one card; the site's mount point is part of the key, as links start with it.

    The macro escapes what it shows and, autoescaping, returns `Markup`.
    """
    render = get_template_attribute("web/_macros.html", "card")
    card: Markup = render(article, tags, hearts)
    return card
