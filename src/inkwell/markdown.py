"""Markdown to safe HTML: CommonMark with tables, then sanitised by nh3.

Authors may write raw HTML (CommonMark allows it); nh3 then keeps only an
allow-list of tags and attributes, drops event handlers and script, allows
only http(s) and mailto links, and marks every link `nofollow noopener`.

Articles store their HTML beside their Markdown, rendered when the body is
written, with the `RENDERER_VERSION` that made it. This module knows nothing
of Inkwell, so the services that store the HTML, the site that previews it
and the bulk writers all render the same way.
"""

from __future__ import annotations

import re
from html import unescape

import nh3
from markdown_it import MarkdownIt

RENDERER_VERSION = 1
"""Which renderer made a stored article's HTML. Raise it with every change to the
parser's options, the plugins or the sanitiser's allow-lists below: a stored
HTML made by another version is then rendered again on read and by
`inkwell content rerender`, so no page shows what the old rules let through.
Version 0 means "never rendered" (rows from before HTML was stored)."""

_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "code": {"class"}, "th": {"style"}, "td": {"style"}}
_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Sanitised HTML for `text`, safe to put in a page as it is."""
    html = _markdown.render(text)
    return nh3.clean(
        html, attributes=_ATTRIBUTES, url_schemes=_SCHEMES, link_rel="nofollow noopener"
    )


# Control characters become spaces: a reader cannot type them, and the
# markers of a search snippet are control characters, which then can only
# come from the search engine.
_UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")
_BLANKS = re.compile(r"\s*\n\s*")


def plain_text(html: str) -> str:
    """The words of rendered `html` without markup, for search to index and
    quote: no tag names, attributes or Markdown syntax to match or show."""
    text = unescape(nh3.clean(html, tags=set()))
    return _BLANKS.sub("\n", _UNSEEN.sub(" ", text)).strip()
