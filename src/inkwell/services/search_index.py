"""The search index's rows (`models.SearchDocument`): one per listed article
(published and not withheld, `Article.is_listed`), written in the same
transaction as every change to it, and rebuilt and checked by operators
(`inkwell search reindex|check`).

The engines index the rows themselves (`inkwell.fulltext`), so a committed
article is findable by the next request, and an unpublished, withheld or
deleted one (its row goes with it, by cascade) never is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from inkwell import fulltext
from inkwell.extensions import db
from inkwell.markdown import plain_text
from inkwell.models import Article, SearchDocument
from inkwell.queries import articles as q

REPORTED_MAX = 20  # article ids a problem names; the count says how many more


def refresh(article_id: int) -> None:
    """Make the article's row what the article is now: its words if it is
    listed, no row otherwise. Call it once the article's changes are flushed."""
    row = db.session.execute(_content().where(Article.id == article_id)).one_or_none()
    db.session.execute(sa.delete(SearchDocument).where(SearchDocument.article_id == article_id))
    if row is not None and row.listed:
        db.session.execute(sa.insert(SearchDocument), [document(row)])


def document(row: Any) -> dict[str, Any]:
    """The index row of an article read with `_content` (or any row with its
    id, title, description, tag names and HTML)."""
    return {
        "article_id": row.id,
        "title": row.title,
        "tags": " ".join(sorted(row.tags)),
        "description": row.description,
        "body": plain_text(row.body_html),
    }


def _content() -> sa.Select[*tuple[Any, ...]]:
    return sa.select(
        Article.id,
        sa.case((q.published(), sa.true()), else_=sa.false()).label("listed"),
        Article.title,
        Article.description,
        Article.body_html,
        q.tag_list().label("tags"),
    )


def reindex_batch(after_id: int, limit: int) -> tuple[int | None, int]:
    """Rewrite the rows of the first `limit` articles with ids above `after_id`;
    the last id seen (None when there are no more) and how many were read.

    The articles are read under a share lock (on SQLite, inside the write
    lock), so an author's edit waits for the batch rather than being
    overwritten with what the batch read before it.
    """
    rows = db.session.execute(
        _content()
        .where(Article.id > after_id)
        .order_by(Article.id)
        .limit(limit)
        .with_for_update(read=True, of=Article)
    ).all()
    if not rows:
        return None, 0
    _rewrite(rows)
    return int(rows[-1].id), len(rows)


def _rewrite(rows: Sequence[Any]) -> None:
    """Replace the index rows of the articles read with `_content`: their words if
    they are listed, nothing otherwise."""
    ids = [row.id for row in rows]
    db.session.execute(sa.delete(SearchDocument).where(SearchDocument.article_id.in_(ids)))
    listed = [document(row) for row in rows if row.listed]
    if listed:
        db.session.execute(sa.insert(SearchDocument), listed)


def drop_written_by(author_id: int) -> None:
    """Remove the rows of every article by `author_id`, whose articles are being
    withheld: one statement however many they wrote."""
    db.session.execute(
        sa.delete(SearchDocument).where(
            SearchDocument.article_id.in_(
                sa.select(Article.id).where(Article.author_id == author_id)
            )
        )
    )


def index_written_by(author_id: int, batch: int = 500) -> None:
    """Write the rows of the listed articles by `author_id`, `batch` at a time, once
    their articles are listed again (an author reinstated): each row is built
    from the article's HTML, which only Python turns into words."""
    after = 0
    while True:
        rows = db.session.execute(
            _content()
            .where(Article.author_id == author_id, Article.id > after, q.published())
            .order_by(Article.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        _rewrite(rows)
        after = rows[-1].id


def index_all(batch: int = 500) -> None:
    """Write every article's row in the current unit of work, for a bulk load
    (an import) that wrote articles without the services."""
    after: int | None = 0
    while after is not None:
        after, _count = reindex_batch(after, batch)


@contextmanager
def bulk_loading(*, enabled: bool) -> Iterator[None]:
    """Around a bulk load of rows (seeding): engines that index better in one
    sorted build than row by row drop their index first and rebuild it after
    (PostgreSQL's GIN index), in the loading transaction."""
    if not enabled:
        yield
        return
    with fulltext.index_rebuilt_after(db.session.connection()):
        yield


def reindex_size() -> int:
    """How many articles a reindex reads."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Article)) or 0


def prepare_reindex(language: str) -> list[str]:
    """Bring the engine's own structures in line with the settings before rows
    are rewritten (PostgreSQL's document column, for a new language); what was done."""
    return fulltext.rebuild_structures(db.session.connection(), language)


def finish_reindex() -> list[str]:
    """Let the engine tidy its index after a bulk rewrite; what was done."""
    return fulltext.tidy(db.session.connection())


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the index and the articles disagree."""

    what: str
    article_ids: Sequence[int] = ()
    count: int = 0

    def __str__(self) -> str:
        if not self.count:
            return self.what
        shown = ", ".join(str(article_id) for article_id in self.article_ids)
        more = (
            f" and {self.count - len(self.article_ids)} more"
            if self.count > len(self.article_ids)
            else ""
        )
        return f"{self.what}: {self.count} (articles {shown}{more})"


def structure_problems(language: str) -> list[Difference]:
    """What is wrong with the engine's own structures."""
    return [Difference(problem) for problem in fulltext.problems(db.session.connection(), language)]


def missing_and_extra() -> list[Difference]:
    """Listed articles without a row, and rows of articles that are not listed
    (drafts and withheld articles)."""
    indexed = sa.exists().where(SearchDocument.article_id == Article.id)
    missing = sa.select(Article.id).where(q.published(), ~indexed)
    extra = (
        sa.select(SearchDocument.article_id)
        .join(Article, Article.id == SearchDocument.article_id)
        .where(~q.published())
    )
    found = []
    for what, query in [
        ("published but not indexed", missing),
        ("indexed but not published", extra),
    ]:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        if count:
            ids = db.session.scalars(query.order_by(sa.text("1")).limit(REPORTED_MAX)).all()
            found.append(Difference(what, ids, count))
    return found


def stale_batch(after_id: int, limit: int) -> tuple[list[int], int | None, int]:
    """Of the first `limit` indexed, listed articles with ids above `after_id`, those
    whose row differs from what their content gives now, the last id seen
    (None when there are no more) and how many were compared."""
    rows = db.session.execute(
        _content()
        .add_columns(
            SearchDocument.title.label("indexed_title"),
            SearchDocument.tags.label("indexed_tags"),
            SearchDocument.description.label("indexed_description"),
            SearchDocument.body.label("indexed_body"),
        )
        .join(SearchDocument, SearchDocument.article_id == Article.id)
        .where(Article.id > after_id, q.published())
        .order_by(Article.id)
        .limit(limit)
    ).all()
    if not rows:
        return [], None, 0
    stale = []
    for row in rows:
        expected = document(row)
        indexed = (row.indexed_title, row.indexed_tags, row.indexed_description, row.indexed_body)
        if indexed != (
            expected["title"],
            expected["tags"],
            expected["description"],
            expected["body"],
        ):
            stale.append(row.id)
    return stale, rows[-1].id, len(rows)
