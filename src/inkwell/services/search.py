"""Full-text search of published articles: ranked or newest first, filtered by
tag and author, each hit with a snippet of its matching text, and the tags
of all the matches with their counts.

A search costs two statements whatever its page size: the page (cards with
the viewer's flags and snippets, computed for the page's rows only) and a
summary (the number of matches and, for the site, the tag counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from markupsafe import Markup, escape

from inkwell import fulltext
from inkwell.extensions import db
from inkwell.models import Article, Tag, User, article_tags
from inkwell.models.base import UTCDateTime
from inkwell.models.identity import identity_key
from inkwell.queries import articles as q
from inkwell.search_terms import QUERY_MAX, QueryProblem, Terms, parse
from inkwell.services.errors import Invalid
from inkwell.services.listing import OFFSET_MAX, PAGE_SIZE_MAX, cards_of
from inkwell.services.results import CardView
from inkwell.services.validation import Checks

Order = Literal["relevance", "newest"]
ORDERS: tuple[Order, ...] = ("relevance", "newest")
FACETS_MAX = 12
# Up to this many matches, a newest-first page sorts the matches the index
# found; beyond, it walks the articles' date index until it has a page.
FEW_MATCHES = 5_000
TAG_FILTERS_MAX = 5  # each is one more probe per match
__all__ = ["ORDERS", "QUERY_MAX", "Order", "Search", "SearchHit", "SearchResults", "search"]


@dataclass(frozen=True, slots=True)
class Search:
    """What a reader asks for. `until` keeps later pages in place while articles
    are published: only articles published by then are found."""

    text: str
    tags: tuple[str, ...] = ()
    author: str | None = None
    order: Order = "relevance"
    limit: int = 20
    offset: int = 0
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A matching article and its snippet: escaped text, matched words in `<mark>`."""

    view: CardView
    snippet: Markup


@dataclass(frozen=True, slots=True)
class TagCount:
    """A tag, and how many of the matching articles carry it."""

    name: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of hits, how many articles match in all, and (if asked) their tags."""

    hits: list[SearchHit]
    total: int
    facets: list[TagCount]


def search(
    viewer: User | None, asked: Search, *, language: str, facets: bool = False
) -> SearchResults:
    """The published articles matching `asked`, as `viewer` sees them.

    Raises Invalid naming `q`, `limit`, `offset` or `order` for what cannot
    be searched for. `language` is PostgreSQL's text search configuration.
    """
    terms = _checked(asked)
    connection = db.session.connection()
    dialect = connection.dialect
    matching = fulltext.matching(dialect, terms, language)
    # The count first: how a newest-first page is best read depends on it.
    summary = connection.execute(_summary(asked, matching, facets=facets)).all()
    total = next((count for name, count in summary if name is None), 0)
    few = total <= FEW_MATCHES
    rows = connection.execute(_page(viewer, asked, matching, few=few)).all()
    tags = [TagCount(name, count) for name, count in summary if name is not None]
    tags.sort(key=lambda tag: (-tag.count, tag.name))
    hits = [
        SearchHit(view, _snippet(terms, fulltext.marked(dialect, terms, row.snippet or ""), view))
        for view, row in zip(cards_of(rows), rows, strict=True)
    ]
    return SearchResults(hits, total, tags)


def _checked(asked: Search) -> Terms:
    try:
        terms = parse(asked.text)
    except QueryProblem as problem:
        raise Invalid({"q": [str(problem)]}) from None
    with Checks() as checks:
        if not 1 <= asked.limit <= PAGE_SIZE_MAX:
            checks.add("limit", f"must be between 1 and {PAGE_SIZE_MAX}")
        if not 0 <= asked.offset <= OFFSET_MAX:
            checks.add("offset", f"must be between 0 and {OFFSET_MAX}")
        if len(asked.tags) > TAG_FILTERS_MAX:
            checks.add("tag", f"may be given at most {TAG_FILTERS_MAX} times")
        if asked.order not in ORDERS:
            checks.add("order", f"must be one of {', '.join(ORDERS)}")
    return terms


def _matches(
    asked: Search, matching: fulltext.Matching, *, ranked: bool = False
) -> sa.Select[*tuple[Any, ...]]:
    """Ids of the articles matching `asked`, `ranked` with their rank. The
    articles themselves are joined only where a filter or the order needs them.

    Only a page ordered by relevance ranks: ranking reads each match's whole
    document, which a count or a newest-first page need not.
    """
    columns: list[sa.ColumnElement[Any]] = [matching.article_id.label("id")]
    if ranked:
        columns.append(matching.rank.label("rank"))
    query = sa.select(*columns).select_from(matching.source).where(matching.where)
    if asked.author is not None or asked.until is not None or asked.order == "newest":
        query = query.join(Article, Article.id == matching.article_id)
    for name in asked.tags:
        query = query.where(
            sa.exists().where(
                article_tags.c.article_id == matching.article_id,
                article_tags.c.tag_id
                == sa.select(Tag.id).where(Tag.name == name).scalar_subquery(),
            )
        )
    if asked.author is not None:
        query = query.where(q.written_by(identity_key(asked.author)))
    if asked.until is not None:
        query = query.where(Article.published_at <= sa.literal(asked.until, UTCDateTime()))
    return query


def _page(
    viewer: User | None, asked: Search, matching: fulltext.Matching, *, few: bool
) -> sa.Select[*tuple[Any, ...]]:
    """The page's cards with the viewer's flags and their snippets, computed for
    the page's rows only.

    Newest first, `few` matches are found by the engine's index alone and then
    sorted by date (the empty OFFSET keeps the database from merging the two
    steps): PostgreSQL otherwise misjudged a rare word as common and walked
    the date index, checking 82,081 documents for a page of 20 at a million
    articles (0.5 s). Many matches are best read the other way round.
    """
    newest = asked.order == "newest"
    if newest and few:
        found = _matches(replace(asked, order=ORDERS[0]), matching).offset(0).subquery("found")
        matches = (
            sa.select(found.c.id).join(Article, Article.id == found.c.id).order_by(*q.NEWEST_FIRST)
        )
    elif newest:
        matches = _matches(asked, matching).order_by(*q.NEWEST_FIRST)
    else:
        matches = _matches(asked, matching, ranked=True)
        matches = matches.order_by(sa.desc("rank"), matching.article_id.desc())
    page = matches.limit(asked.limit).offset(asked.offset).subquery("page")
    query = (
        q.article_cards(viewer.id if viewer else None)
        .add_columns(matching.snippet(page.c.id).label("snippet"))
        .join(page, page.c.id == Article.id)
    )
    if newest:
        return query.order_by(*q.NEWEST_FIRST)
    return query.order_by(page.c.rank.desc(), Article.id.desc())


def _summary(
    asked: Search, matching: fulltext.Matching, *, facets: bool
) -> sa.Select[*tuple[Any, ...]]:
    """How many articles match (the row named NULL) and, with `facets`, the
    tags most of them carry, in one statement."""
    matched = _matches(asked, matching).cte("matched")
    total = sa.select(
        sa.cast(sa.null(), sa.String()).label("name"), sa.func.count().label("count")
    ).select_from(matched)
    if not facets:
        return total
    count = sa.func.count()
    tags = (
        sa.select(Tag.name.label("name"), count.label("count"))
        .select_from(matched)
        .join(article_tags, article_tags.c.article_id == matched.c.id)
        .join(Tag, Tag.id == article_tags.c.tag_id)
        .group_by(Tag.name)
        .order_by(count.desc(), Tag.name)
        .limit(FACETS_MAX)
        .subquery("tag_counts")
    )
    return sa.union_all(total, sa.select(tags.c.name, tags.c.count))  # type: ignore[return-value]


_MARKS = re.compile(f"({fulltext.MARK_START}|{fulltext.MARK_END})")
_TAGS = {fulltext.MARK_START: Markup("<mark>"), fulltext.MARK_END: Markup("</mark>")}


def _snippet(terms: Terms, from_body: str, view: CardView) -> Markup:
    """The engine's passage of the body where the words matched there; else the
    description, where they may have matched (marked here, without stemming:
    quoting it costs the engine a second pass per result); as escaped HTML
    with the marks made `<mark>`s."""
    marked = from_body
    if fulltext.MARK_START not in from_body:
        described = fulltext.mark_words(terms, view.article.description)
        marked = described if fulltext.MARK_START in described else from_body
    if not marked.strip():
        return escape(view.article.description)
    if marked.count(fulltext.MARK_START) != marked.count(fulltext.MARK_END):
        marked = _MARKS.sub("", marked)
    return Markup("").join(_TAGS.get(piece) or escape(piece) for piece in _MARKS.split(marked))
