"""Markdown to safe HTML: CommonMark with tables, then sanitised by nh3.

Authors may write raw HTML (CommonMark allows it); nh3 then keeps only an
allow-list of tags and attributes, drops event handlers and script, allows
only http(s) and mailto links, and marks every link `nofollow noopener`.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "code": {"class"}, "th": {"style"}, "td": {"style"}}
_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> Markup:
    """HTML for `text`, safe to put in a page."""
    html = _markdown.render(text)
    return Markup(  # noqa: S704  (sanitised by nh3 just above)
        nh3.clean(html, attributes=_ATTRIBUTES, url_schemes=_SCHEMES, link_rel="nofollow noopener")
    )
