"""Full-text search of published articles."""

from __future__ import annotations

from flask import current_app

from inkwell.api.articles import within_offset_limit
from inkwell.api.blueprint import route, viewer
from inkwell.api.schemas import SearchQuery, SearchResponse, documented, search_hit_json
from inkwell.services.search import Search, search

TAG = "Articles"


@route(
    "get",
    "/search",
    auth="optional",
    tag=TAG,
    summary="Search published articles",
    responses={200: documented(SearchResponse)},
)
def search_articles(query: SearchQuery) -> SearchResponse:
    """Published articles matching `q`, best match first (or newest first with
    `order=newest`), by tag or author, each with a snippet of its matching text."""
    asked = Search(
        query.q,
        tags=(query.tag,) if query.tag is not None else (),
        author=query.author,
        order=query.order,
        limit=query.limit,
        offset=within_offset_limit(query.offset),
    )
    found = search(viewer(), asked, language=current_app.config["INKWELL_SEARCH_LANGUAGE"])
    return {
        "articles": [search_hit_json(hit) for hit in found.hits],
        "articlesCount": found.total,
    }
