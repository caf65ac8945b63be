"""A tag's page is read in order from the links' (tag_id, published_at, article_id)
index: no database collects and sorts all of the tag's articles per request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from inkwell.extensions import db
from inkwell.models import Article
from inkwell.services.listing import ArticleFilters, Cursor, browse_articles, list_articles

TAG_INDEX = "ix_article_tags_tag_id_published_at_article_id"
PAGES: dict[str, Callable[[Cursor], object]] = {
    "offset": lambda _: list_articles(None, ArticleFilters(tag="x"), limit=5, offset=5),
    "keyset": lambda cursor: browse_articles(None, ArticleFilters(tag="x"), before=cursor),
}


@contextmanager
def page_statement() -> Iterator[list[tuple[str, Any]]]:
    """Record the statement (and its parameters) that reads a list's page: of a
    list's statements, the only one with a LIMIT."""
    seen: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        if "LIMIT" in args[2]:
            seen.append((args[2], args[3]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _plan(session: sa.orm.Session, prefix: str, page: str) -> str:
    newest = session.scalars(sa.select(Article).order_by(Article.id.desc()).limit(1)).one()
    cursor = Cursor(newest.published_at or newest.created_at, newest.id)
    with page_statement() as seen:
        PAGES[page](cursor)
    [(statement, parameters)] = seen
    rows = session.connection().exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


@pytest.fixture
def tagged_articles(make_article: Callable[..., Article]) -> None:
    """Enough articles on the tag, and on another, for an index to be worth reading."""
    for number in range(30):
        make_article(tags=("x",) if number % 3 else ("x", "y"))
        make_article(tags=("y",))


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("page", PAGES)
def test_a_tag_page_walks_the_link_index_in_order_on_sqlite(
    tagged_articles: None, session: sa.orm.Session, page: str
) -> None:
    plan = _plan(session, "EXPLAIN QUERY PLAN ", page)
    # An offset page sorts its own few rows once they are read, as every list
    # does (`page` is the deferred join's ids); reading the tag must not sort.
    reading = plan.split("SCAN page")[0]
    assert f"article_tags USING COVERING INDEX {TAG_INDEX} (tag_id=?" in reading, plan
    assert "TEMP B-TREE" not in reading, plan


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize("page", PAGES)
def test_a_tag_page_walks_the_link_index_in_order_on_postgresql(
    tagged_articles: None, session: sa.orm.Session, page: str
) -> None:
    # Tables this small are cheaper to read whole: ask what large ones get.
    session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
    session.connection().exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    plan = _plan(session, "EXPLAIN ", page)
    assert f"Index Only Scan Backward using {TAG_INDEX} on article_tags" in plan, plan
    assert "Sort Key: article_tags" not in plan, plan
    # An offset page sorts its own few rows once they are read, as every list does.
    assert plan.count("Sort Key") == (page == "offset"), plan


LIST_INDEX = "ix_articles_published_at_id_withheld"
AUTHOR_INDEX = "ix_articles_author_id_published_at_id_withheld"


@pytest.fixture
def author_pages(make_user: Callable[..., Any], make_article: Callable[..., Article]) -> str:
    """An author with enough articles, among others', for an index to be worth reading."""
    author = make_user()
    for number in range(30):
        make_article(author if number % 2 else None)
    return str(author.username)


def _offset_plan(session: sa.orm.Session, prefix: str, filters: ArticleFilters) -> str:
    with page_statement() as seen:
        list_articles(None, filters, limit=5, offset=5)
    [(statement, parameters)] = seen
    rows = session.connection().exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


@pytest.mark.backends("sqlite")
def test_a_deep_page_reads_its_ids_from_a_list_index_alone_on_sqlite(
    author_pages: str, session: sa.orm.Session
) -> None:
    """Skipping withheld articles is answered by the index too (it ends with the flag),
    so a deep offset walks index entries, not rows."""
    plan = _offset_plan(session, "EXPLAIN QUERY PLAN ", ArticleFilters())
    assert f"articles USING COVERING INDEX {LIST_INDEX}" in plan, plan
    plan = _offset_plan(session, "EXPLAIN QUERY PLAN ", ArticleFilters(author=author_pages))
    assert f"articles USING COVERING INDEX {AUTHOR_INDEX} (author_id=?" in plan, plan


@pytest.mark.backends("postgresql")
def test_a_deep_page_reads_its_ids_from_a_list_index_alone_on_postgresql(
    author_pages: str, session: sa.orm.Session
) -> None:
    session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
    session.connection().exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    plan = _offset_plan(session, "EXPLAIN ", ArticleFilters())
    assert f"Index Only Scan Backward using {LIST_INDEX} on articles" in plan, plan
    plan = _offset_plan(session, "EXPLAIN ", ArticleFilters(author=author_pages))
    assert f"Index Only Scan Backward using {AUTHOR_INDEX} on articles" in plan, plan
