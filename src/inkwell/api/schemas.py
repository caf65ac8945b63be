"""Request and response shapes of the RealWorld API, and the functions that fill them.

The pydantic models validate requests and, with the response models, are the
single source of the OpenAPI document. Responses are built as plain dicts by
the `*_json` functions (cheaper than constructing models per row); the
schemathesis tests check that they conform to the documented models.
"""

from __future__ import annotations

import copy
import functools
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from inkwell.models import Article, User
from inkwell.services.articles import OFFSET_MAX, PAGE_SIZE_MAX
from inkwell.services.results import ArticleView, CardView, CommentView, ProfileView


class Body(BaseModel):
    """Request bodies ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON schema, built once per class and arguments.

        flask-openapi3 asks for a query model's schema on every request to
        read its fields; building it takes longer than the rest of a list
        request's Python work. Callers get a copy, since some mutate it.
        """
        return copy.deepcopy(_schema(cls, args, tuple(sorted(kwargs.items()))))


@functools.cache
def _schema(
    model: type[BaseModel], args: tuple[Any, ...], kwargs: tuple[Any, ...]
) -> dict[str, Any]:
    return BaseModel.model_json_schema.__func__(model, *args, **dict(kwargs))  # type: ignore[attr-defined, no-any-return]


# Requests


class LoginUser(Body):
    email: str
    password: str


class LoginRequest(Body):
    user: LoginUser


class NewUser(Body):
    username: str
    email: str
    password: str


class NewUserRequest(Body):
    user: NewUser


class UpdateUser(Body):
    """Any of the fields; `bio` and `image` accept null or "" to clear them."""

    email: str | None = None
    username: str | None = None
    password: str | None = None
    bio: str | None = None
    image: str | None = None


class UpdateUserRequest(Body):
    user: UpdateUser


class NewArticle(Body):
    title: str
    description: str
    body: str
    tagList: list[str] | None = None


class NewArticleRequest(Body):
    article: NewArticle


class UpdateArticle(Body):
    """Any of the fields; an absent field is kept, `tagList: []` clears the tags."""

    title: str | None = None
    description: str | None = None
    body: str | None = None
    tagList: list[str] | None = None


class UpdateArticleRequest(Body):
    article: UpdateArticle


class NewComment(Body):
    body: str


class NewCommentRequest(Body):
    comment: NewComment


class ArticleQuery(Body):
    tag: str | None = None
    author: str | None = None
    favorited: str | None = None
    limit: int = Field(20, ge=1, le=PAGE_SIZE_MAX)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class FeedQuery(Body):
    limit: int = Field(20, ge=1, le=PAGE_SIZE_MAX)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class SlugPath(Body):
    slug: str


class UsernamePath(Body):
    username: str


class CommentPath(Body):
    slug: str
    id: int


# Responses (documentation and conformance tests)


class UserOut(BaseModel):
    email: str
    token: str
    username: str
    bio: str | None
    image: str | None


class UserResponse(BaseModel):
    user: UserOut


class ProfileOut(BaseModel):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ProfileResponse(BaseModel):
    profile: ProfileOut


class ArticleOut(BaseModel):
    slug: str
    title: str
    description: str
    body: str
    tagList: list[str]
    createdAt: str = Field(examples=["2026-01-01T12:00:00.000Z"])
    updatedAt: str = Field(examples=["2026-01-01T12:00:00.000Z"])
    favorited: bool
    favoritesCount: int
    author: ProfileOut


class ArticleSummary(BaseModel):
    """An article in a list: everything but the body."""

    slug: str
    title: str
    description: str
    tagList: list[str]
    createdAt: str
    updatedAt: str
    favorited: bool
    favoritesCount: int
    author: ProfileOut


class ArticleResponse(BaseModel):
    article: ArticleOut


class ArticleListResponse(BaseModel):
    articles: list[ArticleSummary]
    articlesCount: int


class CommentOut(BaseModel):
    id: int
    createdAt: str
    updatedAt: str
    body: str
    author: ProfileOut


class CommentResponse(BaseModel):
    comment: CommentOut


class CommentListResponse(BaseModel):
    comments: list[CommentOut]


class TagListResponse(BaseModel):
    tags: list[str]


class ErrorResponse(BaseModel):
    """`{"errors": {"field or resource": ["message", ...]}}`."""

    errors: dict[str, list[str]]


# Serializers


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`, whatever the database returned."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_json(user: User, token: str) -> dict[str, Any]:
    """The signed-in user, with a token."""
    return {
        "user": {
            "email": user.email,
            "token": token,
            "username": user.username,
            "bio": user.bio,
            "image": user.image_url,
        }
    }


def profile_json(view: ProfileView) -> dict[str, Any]:
    """A user as the viewer sees them."""
    user = view.user
    return {
        "username": user.username,
        "bio": user.bio,
        "image": user.image_url,
        "following": view.following,
    }


def article_json(view: ArticleView[Article] | CardView) -> dict[str, Any]:
    """An article; in lists (a CardView) the body is left out entirely."""
    article = view.article
    data: dict[str, Any] = {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
    }
    if isinstance(article, Article):
        data["body"] = article.body
    data |= {
        "tagList": sorted(tag.name for tag in article.tags),
        "createdAt": timestamp(article.created_at),
        "updatedAt": timestamp(article.updated_at),
        "favorited": view.favorited,
        "favoritesCount": view.favorites_count,
        "author": profile_json(view.author),
    }
    return data


def comment_json(view: CommentView) -> dict[str, Any]:
    """A comment with its author as the viewer sees them."""
    comment = view.comment
    return {
        "id": comment.id,
        "createdAt": timestamp(comment.created_at),
        "updatedAt": timestamp(comment.updated_at),
        "body": comment.body,
        "author": profile_json(view.author),
    }
