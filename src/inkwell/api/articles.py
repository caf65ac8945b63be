"""Articles, the feed, favorites and tags."""

from __future__ import annotations

from typing import Any

from flask import current_app

from inkwell.api.blueprint import route, signed_in, viewer
from inkwell.api.schemas import (
    ArticleListResponse,
    ArticleQuery,
    ArticleResponse,
    FeedQuery,
    NewArticleRequest,
    SlugPath,
    TagListResponse,
    UpdateArticleRequest,
    article_json,
    article_summary_json,
    documented,
)
from inkwell.http import count_view
from inkwell.services.articles import (
    ArticleDraft,
    ArticleEdit,
    create_article,
    delete_article,
    find_own_article,
    get_article,
    prepare_article,
    update_article,
)
from inkwell.services.errors import Invalid
from inkwell.services.favorites import favorite_article, unfavorite_article
from inkwell.services.listing import ArticleFilters, feed, list_articles
from inkwell.services.results import ArticlePage
from inkwell.services.tags import list_tags
from inkwell.services.validation import UNSET
from inkwell.transactions import followed_by_write

TAG = "Articles"


def within_offset_limit(offset: int) -> int:
    """`offset` if the site allows lists that deep (`INKWELL_API_OFFSET_MAX`); else Invalid.

    Even served from an index, an offset costs the database a walk over that
    many entries, so the depth any caller may ask for is bounded. The OpenAPI
    document states the same maximum (`documented_offset_limit`).
    """
    deepest: int = current_app.config["INKWELL_API_OFFSET_MAX"]
    if offset > deepest:
        raise Invalid({"offset": [f"must be at most {deepest}"]})
    return offset


def documented_offset_limit(document: dict[str, Any], deepest: int) -> dict[str, Any]:
    """`document` (the API's OpenAPI document) with `deepest` as the maximum of every
    list's `offset` parameter: the limit is a setting, the query models are not."""
    lists = ("/api/articles", "/api/articles/feed", "/api/search")
    for operation in (document["paths"][path] for path in lists):
        for parameter in operation["get"]["parameters"]:
            if parameter["name"] == "offset":
                parameter["schema"]["maximum"] = deepest
    return document


def page_json(page: ArticlePage) -> ArticleListResponse:
    """A list response: summaries without bodies, and the total."""
    return {
        "articles": [article_summary_json(view) for view in page.items],
        "articlesCount": page.total,
    }


@route(
    "get",
    "/articles",
    auth="optional",
    readers_alike=True,
    tag=TAG,
    summary="Recent articles, filtered",
    responses={200: documented(ArticleListResponse)},
)
def articles(query: ArticleQuery) -> ArticleListResponse:
    """Published articles newest first, by tag, author or favoriting user."""
    filters = ArticleFilters(tag=query.tag, author=query.author, favorited_by=query.favorited)
    offset = within_offset_limit(query.offset)
    return page_json(list_articles(viewer(), filters, limit=query.limit, offset=offset))


@route(
    "get",
    "/articles/feed",
    auth="required",
    tag=TAG,
    summary="Articles by followed authors",
    responses={200: documented(ArticleListResponse)},
)
def article_feed(query: FeedQuery) -> ArticleListResponse:
    """The signed-in user's feed."""
    offset = within_offset_limit(query.offset)
    return page_json(feed(signed_in(), limit=query.limit, offset=offset))


@route(
    "get",
    "/articles/<slug:slug>",
    auth="optional",
    tag=TAG,
    summary="One article",
    responses={200: documented(ArticleResponse)},
    errors=(404,),
)
def article(path: SlugPath) -> ArticleResponse:
    """An article with its body; reading it counts as a view."""
    reader = viewer()
    shown = get_article(reader, path.slug)
    count_view(
        shown.article.id, author_id=shown.article.author_id, viewer_id=reader.id if reader else None
    )
    return {"article": article_json(shown)}


@route(
    "post",
    "/articles",
    auth="required",
    writes=False,  # but in a unit of its own, after the checks, HTML and slug
    tag=TAG,
    summary="Write an article",
    responses={201: documented(ArticleResponse)},
)
def write_article(body: NewArticleRequest) -> tuple[ArticleResponse, int]:
    """Publish a new article."""
    given = body.article
    draft = ArticleDraft(given.title, given.description, given.body, given.tagList or ())
    ready = prepare_article(draft)
    with followed_by_write():
        written = create_article(signed_in(), ready)
    return {"article": article_json(written)}, 201


@route(
    "put",
    "/articles/<slug:slug>",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Change an article",
    responses={200: documented(ArticleResponse)},
    errors=(403, 404),
    found_first=lambda slug: find_own_article(signed_in(), slug),
)
def change_article(path: SlugPath, body: UpdateArticleRequest) -> ArticleResponse:
    """Change any of title, description, body and tags; a new title moves the slug."""
    given = body.article
    sent = given.model_dump(exclude_unset=True)
    edit = ArticleEdit(
        title=sent.get("title", UNSET),
        description=sent.get("description", UNSET),
        body=sent.get("body", UNSET),
        tags=sent.get("tagList", UNSET),
    )
    return {"article": article_json(update_article(signed_in(), path.slug, edit))}


@route(
    "delete",
    "/articles/<slug:slug>",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Delete an article",
    responses={204: None},
    errors=(403, 404),
)
def remove_article(path: SlugPath) -> tuple[str, int]:
    """Delete one's own article with its comments."""
    delete_article(signed_in(), path.slug)
    return "", 204


@route(
    "post",
    "/articles/<slug:slug>/favorite",
    auth="required",
    writes=True,
    tag="Favorites",
    summary="Favorite an article",
    responses={200: documented(ArticleResponse)},
    errors=(404,),
)
def favorite(path: SlugPath) -> ArticleResponse:
    """Favorite; twice changes nothing."""
    return {"article": article_json(favorite_article(signed_in(), path.slug))}


@route(
    "delete",
    "/articles/<slug:slug>/favorite",
    auth="required",
    writes=True,
    tag="Favorites",
    summary="Unfavorite an article",
    responses={200: documented(ArticleResponse)},
    errors=(404,),
)
def unfavorite(path: SlugPath) -> ArticleResponse:
    """Unfavorite; twice changes nothing."""
    return {"article": article_json(unfavorite_article(signed_in(), path.slug))}


@route(
    "get",
    "/tags",
    auth="none",
    tag="Tags",
    summary="Tags in use",
    responses={200: documented(TagListResponse)},
)
def tags() -> TagListResponse:
    """Every tag on a published article, alphabetically."""
    return {"tags": list_tags()}
