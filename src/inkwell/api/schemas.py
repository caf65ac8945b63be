"""Request and response shapes of the RealWorld API, and the functions that fill them.

Requests are pydantic models, which flask-openapi3 validates and documents.
Each response shape is a TypedDict, written once: the `*_json` functions
return it, so mypy checks that they build exactly its keys and types, and
`documented()` derives from it the model that the OpenAPI document shows.
Responses stay plain dicts, cheaper to build than a model per row; the
schemathesis tests check that what the API answers matches the document.
"""

from __future__ import annotations

import copy
import functools
from datetime import UTC, datetime
from typing import Annotated, Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, JsonValue, create_model

# pydantic reads TypedDicts from typing_extensions only, before Python 3.12.
from typing_extensions import TypedDict

from inkwell.models import Article, User
from inkwell.services.listing import OFFSET_MAX, PAGE_SIZE_MAX
from inkwell.services.results import ArticleView, CardView, CommentView, ProfileView
from inkwell.services.slugs import RESERVED


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


_RESERVED_SLUGS: list[JsonValue] = [*sorted(RESERVED)]


class SlugPath(Body):
    # `/articles/feed` is the feed: no article is ever given a reserved slug.
    slug: str = Field(json_schema_extra={"not": {"enum": _RESERVED_SLUGS}})


class UsernamePath(Body):
    username: str


class CommentPath(Body):
    slug: str
    id: int


# Responses


# The keyword is `example`, not pydantic's `examples`: flask-openapi3's schema
# model drops the latter from the document.
Timestamp = Annotated[str, Field(json_schema_extra={"example": "2026-01-01T12:00:00.000Z"})]


class UserOut(TypedDict):
    email: str
    token: str
    username: str
    bio: str | None
    image: str | None


class UserResponse(TypedDict):
    user: UserOut


class ProfileOut(TypedDict):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ProfileResponse(TypedDict):
    profile: ProfileOut


class ArticleSummary(TypedDict):
    """An article in a list: everything but the body."""

    slug: str
    title: str
    description: str
    tagList: list[str]
    createdAt: Timestamp
    updatedAt: Timestamp
    favorited: bool
    favoritesCount: int
    author: ProfileOut


class ArticleOut(ArticleSummary):
    body: str


class ArticleResponse(TypedDict):
    article: ArticleOut


class ArticleListResponse(TypedDict):
    articles: list[ArticleSummary]
    articlesCount: int


class CommentOut(TypedDict):
    id: int
    createdAt: Timestamp
    updatedAt: Timestamp
    body: str
    author: ProfileOut


class CommentResponse(TypedDict):
    comment: CommentOut


class CommentListResponse(TypedDict):
    comments: list[CommentOut]


class TagListResponse(TypedDict):
    tags: list[str]


# A model, not a TypedDict: flask-openapi3 also takes it as the app's
# validation error model, and `inkwell.http` builds the envelope it describes.
class ErrorResponse(BaseModel):
    """`{"errors": {"field or resource": ["message", ...]}}`."""

    errors: dict[str, list[str]]


@functools.cache
def documented(shape: type[Any]) -> type[BaseModel]:
    """The model that documents a response TypedDict, for `responses=` in routes.

    flask-openapi3 documents only pydantic models. This one carries the
    TypedDict's name, docstring and fields, so the document shows the very
    shape the serializers are checked against; it is never instantiated.
    """
    fields: dict[str, Any] = {
        name: (hint, ...) for name, hint in get_type_hints(shape, include_extras=True).items()
    }
    return create_model(shape.__name__, __doc__=shape.__doc__, **fields)


# Serializers


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`, whatever the database returned."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_json(user: User, token: str) -> UserResponse:
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


def profile_json(view: ProfileView) -> ProfileOut:
    """A user as the viewer sees them."""
    user = view.user
    return {
        "username": user.username,
        "bio": user.bio,
        "image": user.image_url,
        "following": view.following,
    }


def article_summary_json(view: CardView | ArticleView[Article]) -> ArticleSummary:
    """An article as lists show it: the contract leaves the body out, absent and not null."""
    article = view.article
    return {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
        "tagList": sorted([tag.name for tag in article.tags]),
        "createdAt": timestamp(article.created_at),
        "updatedAt": timestamp(article.updated_at),
        "favorited": view.favorited,
        "favoritesCount": view.favorites_count,
        "author": profile_json(view.author),
    }


def article_json(view: ArticleView[Article]) -> ArticleOut:
    """A single article, with its body."""
    return {**article_summary_json(view), "body": view.article.body}


def comment_json(view: CommentView) -> CommentOut:
    """A comment with its author as the viewer sees them."""
    comment = view.comment
    return {
        "id": comment.id,
        "createdAt": timestamp(comment.created_at),
        "updatedAt": timestamp(comment.updated_at),
        "body": comment.body,
        "author": profile_json(view.author),
    }
