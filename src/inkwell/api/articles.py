"""Articles, the feed, favorites and tags."""

from __future__ import annotations

from typing import Any

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
)
from inkwell.services.articles import (
    ArticleDraft,
    ArticleEdit,
    ArticleFilters,
    create_article,
    delete_article,
    favorite_article,
    feed,
    get_article,
    list_articles,
    list_tags,
    unfavorite_article,
    update_article,
)
from inkwell.services.errors import Invalid
from inkwell.services.results import ArticlePage

TAG = "Articles"


def page_json(page: ArticlePage) -> dict[str, Any]:
    """A list response: summaries without bodies, and the total."""
    return {
        "articles": [article_json(view) for view in page.items],
        "articlesCount": page.total,
    }


@route(
    "get",
    "/articles",
    auth="optional",
    tag=TAG,
    summary="Recent articles, filtered",
    responses={200: ArticleListResponse},
)
def articles(query: ArticleQuery) -> Any:
    """Published articles newest first, by tag, author or favoriting user."""
    filters = ArticleFilters(tag=query.tag, author=query.author, favorited_by=query.favorited)
    return page_json(list_articles(viewer(), filters, limit=query.limit, offset=query.offset))


@route(
    "get",
    "/articles/feed",
    auth="required",
    tag=TAG,
    summary="Articles by followed authors",
    responses={200: ArticleListResponse},
)
def article_feed(query: FeedQuery) -> Any:
    """The signed-in user's feed."""
    return page_json(feed(signed_in(), limit=query.limit, offset=query.offset))


@route(
    "get",
    "/articles/<slug>",
    auth="optional",
    tag=TAG,
    summary="One article",
    responses={200: ArticleResponse},
    errors=(404,),
)
def article(path: SlugPath) -> Any:
    """An article with its body."""
    return {"article": article_json(get_article(viewer(), path.slug))}


@route(
    "post",
    "/articles",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Write an article",
    responses={201: ArticleResponse},
)
def write_article(body: NewArticleRequest) -> Any:
    """Publish a new article."""
    given = body.article
    draft = ArticleDraft(given.title, given.description, given.body, given.tagList or ())
    return {"article": article_json(create_article(signed_in(), draft))}, 201


@route(
    "put",
    "/articles/<slug>",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Change an article",
    responses={200: ArticleResponse},
    errors=(403, 404),
)
def change_article(path: SlugPath, body: UpdateArticleRequest) -> Any:
    """Change any of title, description, body and tags; a new title moves the slug."""
    given = body.article
    nulls = sorted(f for f in given.model_fields_set if getattr(given, f) is None)
    if nulls:
        raise Invalid({field: ["can't be blank"] for field in nulls})
    edit = ArticleEdit(given.title, given.description, given.body, given.tagList)
    return {"article": article_json(update_article(signed_in(), path.slug, edit))}


@route(
    "delete",
    "/articles/<slug>",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Delete an article",
    responses={204: None},
    errors=(403, 404),
)
def remove_article(path: SlugPath) -> Any:
    """Delete one's own article with its comments."""
    delete_article(signed_in(), path.slug)
    return "", 204


@route(
    "post",
    "/articles/<slug>/favorite",
    auth="required",
    writes=True,
    tag="Favorites",
    summary="Favorite an article",
    responses={200: ArticleResponse},
    errors=(404,),
)
def favorite(path: SlugPath) -> Any:
    """Favorite; twice changes nothing."""
    return {"article": article_json(favorite_article(signed_in(), path.slug))}


@route(
    "delete",
    "/articles/<slug>/favorite",
    auth="required",
    writes=True,
    tag="Favorites",
    summary="Unfavorite an article",
    responses={200: ArticleResponse},
    errors=(404,),
)
def unfavorite(path: SlugPath) -> Any:
    """Unfavorite; twice changes nothing."""
    return {"article": article_json(unfavorite_article(signed_in(), path.slug))}


@route(
    "get", "/tags", auth="none", tag="Tags", summary="Tags in use", responses={200: TagListResponse}
)
def tags() -> Any:
    """Every tag on a published article, alphabetically."""
    return {"tags": list_tags()}
