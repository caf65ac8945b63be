"""Comments on articles."""

from __future__ import annotations

from typing import Any

from inkwell.api.blueprint import route, signed_in, viewer
from inkwell.api.schemas import (
    CommentListResponse,
    CommentPath,
    CommentResponse,
    NewCommentRequest,
    SlugPath,
    comment_json,
)
from inkwell.services.comments import add_comment, delete_comment, list_comments

TAG = "Comments"


@route(
    "get",
    "/articles/<slug>/comments",
    auth="optional",
    tag=TAG,
    summary="An article's comments",
    responses={200: CommentListResponse},
    errors=(404,),
)
def comments(path: SlugPath) -> Any:
    """Comments oldest first."""
    return {"comments": [comment_json(view) for view in list_comments(viewer(), path.slug)]}


@route(
    "post",
    "/articles/<slug>/comments",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Comment on an article",
    responses={201: CommentResponse},
    errors=(404,),
)
def comment(path: SlugPath, body: NewCommentRequest) -> Any:
    """Add a comment."""
    return {"comment": comment_json(add_comment(signed_in(), path.slug, body.comment.body))}, 201


@route(
    "delete",
    "/articles/<slug>/comments/<int:id>",
    auth="required",
    writes=True,
    tag=TAG,
    summary="Delete a comment",
    responses={204: None},
    errors=(403, 404),
)
def remove_comment(path: CommentPath) -> Any:
    """Delete a comment one wrote, or one on one's own article."""
    delete_comment(signed_in(), path.slug, path.id)
    return "", 204
