"""Comments on articles."""

from __future__ import annotations

from inkwell.api.blueprint import route, signed_in, viewer
from inkwell.api.schemas import (
    CommentListResponse,
    CommentPath,
    CommentResponse,
    NewCommentRequest,
    SlugPath,
    comment_json,
    documented,
)
from inkwell.services.articles import get_article
from inkwell.services.comments import add_comment, delete_comment, list_comments

TAG = "Comments"


@route(
    "get",
    "/articles/<slug:slug>/comments",
    auth="optional",
    tag=TAG,
    summary="An article's comments",
    responses={200: documented(CommentListResponse)},
    errors=(404,),
)
def comments(path: SlugPath) -> CommentListResponse:
    """Comments oldest first."""
    return {"comments": [comment_json(view) for view in list_comments(viewer(), path.slug)]}


@route(
    "post",
    "/articles/<slug:slug>/comments",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Comment on an article",
    responses={201: documented(CommentResponse)},
    errors=(404,),
    found_first=lambda slug: get_article(signed_in(), slug),
)
def comment(path: SlugPath, body: NewCommentRequest) -> tuple[CommentResponse, int]:
    """Add a comment."""
    return {"comment": comment_json(add_comment(signed_in(), path.slug, body.comment.body))}, 201


@route(
    "delete",
    "/articles/<slug:slug>/comments/<int:id>",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Delete a comment",
    responses={204: None},
    errors=(403, 404),
)
def remove_comment(path: CommentPath) -> tuple[str, int]:
    """Delete a comment one wrote, or one on one's own article."""
    delete_comment(signed_in(), path.slug, path.id)
    return "", 204
