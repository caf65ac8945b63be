"""Article bodies as HTML: rendered when the body is written, stored, read back.

Rendering a long article costs up to half a second (a 100 KB table), so it
happens once per write, in the unit of work that changes the body, and the
pages read what was stored. A row whose HTML another renderer version made
(rows from before an upgrade) is rendered again on read: nobody is shown
HTML made under other sanitising rules, only shown it more slowly.
"""

from __future__ import annotations

from typing import Any

from inkwell.markdown import RENDERER_VERSION, render_markdown
from inkwell.models import Article


def render_body(article: Article) -> None:
    """Store the HTML of `article.body`; every write of a body calls it."""
    article.body_html = render_markdown(article.body)
    article.body_html_version = RENDERER_VERSION


def html_columns(body: str) -> dict[str, Any]:
    """The stored-HTML columns of an article row with `body`, for the writers that
    insert rows in bulk without the ORM (seeding, imports)."""
    return {"body_html": render_markdown(body), "body_html_version": RENDERER_VERSION}


def is_current(version: int) -> bool:
    """Whether HTML stored by renderer `version` may be shown as it is.

    Any other version, newer included (a roll-back to older code), is rendered
    again: this code cannot vouch for rules it does not know.
    """
    return version == RENDERER_VERSION


def body_html(article: Article) -> str:
    """The HTML to show for `article`: the stored one, unless another renderer
    version made it. The article must have been read with its HTML
    (`get_article(..., with_html=True)`)."""
    if is_current(article.body_html_version):
        return article.body_html
    return render_markdown(article.body)
