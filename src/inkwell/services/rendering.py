"""Article bodies as HTML: rendered when the body is written, stored, read back.

Rendering a long article costs up to half a second (a 100 KB table), so it
happens once per write, in the unit of work that changes the body, and the
pages and feeds read what was stored. A row whose HTML another renderer
version made (rows from before an upgrade, until `inkwell content rerender`
reaches them) is rendered again on read: nobody is shown HTML made under
other sanitising rules, only shown it more slowly until the command has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.markdown import RENDERER_VERSION, render_markdown
from inkwell.models import Article
from inkwell.services import search_index


class RenderingFailed(Exception):
    """The renderer raised on an article's body; the message names the article."""


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


def _stale() -> sa.ColumnElement[bool]:
    """Articles whose stored HTML the current renderer did not make."""
    return Article.body_html_version != RENDERER_VERSION


def count_stale() -> int:
    """How many articles have HTML the current renderer did not make."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Article).where(_stale())) or 0


@dataclass(frozen=True, slots=True)
class Rendered:
    """An article's HTML rendered anew, and the row as it was when its body was read."""

    article_id: int
    html: str
    read_version: int
    read_updated_at: datetime


def render_stale(*, after_id: int = 0, limit: int = 100) -> list[Rendered]:
    """Read and render up to `limit` stale articles with ids above `after_id`, in id
    order, writing nothing: rendering a batch can take many seconds, which on
    SQLite must not be spent holding the write lock (see `store_rendered`).

    Raises RenderingFailed, naming the article, if the renderer raises.
    """
    rows = db.session.execute(
        sa.select(
            Article.id, Article.slug, Article.body, Article.body_html_version, Article.updated_at
        )
        .where(_stale(), Article.id > after_id)
        .order_by(Article.id)
        .limit(limit)
    )
    batch = []
    for row in rows:
        try:
            html = render_markdown(row.body)
        except Exception as err:
            raise RenderingFailed(f"article {row.id} ({row.slug}): {err!r}") from err
        batch.append(Rendered(row.id, html, row.body_html_version, row.updated_at))
    return batch


def store_rendered(batch: list[Rendered]) -> int:
    """Store the HTML `render_stale` made; returns how many rows took it.

    A row takes it only if it is still as it was read (same renderer version,
    same `updated_at`): an author's edit in between rendered its own body,
    which must not be overwritten with the HTML of the old one. A row left
    that way, if still stale, is found by the next run.
    """
    stored = 0
    for rendered in batch:
        written = db.session.execute(
            sa.update(Article)
            .where(
                Article.id == rendered.article_id,
                Article.body_html_version == rendered.read_version,
                Article.updated_at == rendered.read_updated_at,
            )
            .values(body_html=rendered.html, body_html_version=RENDERER_VERSION)
            .execution_options(synchronize_session=False)
        )
        took = cast(sa.CursorResult[Any], written).rowcount
        if took:
            search_index.refresh(rendered.article_id)  # the words may read differently
        stored += took
    return stored
