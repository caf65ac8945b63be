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
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic_core import PydanticCustomError

# pydantic reads TypedDicts from typing_extensions only, before Python 3.12.
from typing_extensions import TypedDict

from inkwell.api.jsonio import has_unstorable_text
from inkwell.models import Article, User
from inkwell.models.articles import BODY_MAX, DESCRIPTION_MAX, TITLE_MAX
from inkwell.models.comments import COMMENT_MAX
from inkwell.models.tags import TAG_MAX
from inkwell.models.users import EMAIL_MAX, IMAGE_URL_MAX, USERNAME_MAX
from inkwell.services.accounts import (
    BIO_MAX,
    EMAIL_PATTERN,
    IMAGE_URL_PATTERN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_PATTERN,
)
from inkwell.services.listing import OFFSET_MAX, PAGE_SIZE_MAX
from inkwell.services.results import ArticleView, CardView, CommentView, ProfileView
from inkwell.services.search import QUERY_MAX, SearchHit
from inkwell.services.slugs import RESERVED
from inkwell.services.tags import TAG_PATTERN, TAGS_MAX
from inkwell.services.validation import HIDDEN, SPACE, UNCARRIED


class Body(BaseModel):
    """Request bodies ignore fields they do not know, and refuse text no database
    can store in the fields they read."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if has_unstorable_text(value):
            raise PydanticCustomError("unstorable", "contains unstorable characters")
        return value

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON schema, built once per class and arguments.

        flask-openapi3 asks for a query model's schema on every request to
        read its fields; building it takes longer than the rest of a list
        request's Python work. That per-request call passes no arguments and
        only reads, so it shares the built schema; the document's generation
        passes arguments and edits what it gets, so it gets a copy (copying
        on every request cost a list 0.15 ms).
        """
        schema = _schema(cls, args, tuple(sorted(kwargs.items())))
        return copy.deepcopy(schema) if args or kwargs else schema


@functools.cache
def _schema(
    model: type[BaseModel], args: tuple[Any, ...], kwargs: tuple[Any, ...]
) -> dict[str, Any]:
    return BaseModel.model_json_schema.__func__(model, *args, **dict(kwargs))  # type: ignore[attr-defined, no-any-return]


# What the services accept, stated for the document. The services check these
# rules themselves (and name what is wrong in their own words), so pydantic is
# not asked to: the patterns and lengths below only describe them. Patterns
# allow the whitespace the services strip; lengths count it; no text may hold
# a NUL; text that is kept holds no character a feed cannot carry
# (`UNCARRIED`), and a title nothing hidden (`HIDDEN`).
ANY_TEXT = r"^[^\x00]*$"
FILLED = rf"^[^\x00]*[^{SPACE}\x00][^\x00]*$"
KEPT = rf"^[^\x00{UNCARRIED}]*$"
WRITTEN = rf"^[^\x00{UNCARRIED}]*[^{SPACE}\x00{UNCARRIED}][^\x00{UNCARRIED}]*$"
SHOWN = rf"^[^\x00{HIDDEN}]*[^{SPACE}\x00{HIDDEN}][^\x00{HIDDEN}]*$"


def stripped(pattern: str) -> str:
    """`pattern` as a whole value, with the whitespace the services strip around it."""
    return rf"^[{SPACE}]*(?:{pattern})[{SPACE}]*$"


def blank_or(pattern: str) -> str:
    """`pattern`, or nothing but whitespace (which clears the field)."""
    return rf"^[{SPACE}]*(?:{pattern})?[{SPACE}]*$"


def text(
    *,
    pattern: str = FILLED,
    max_length: int | None = None,
    min_length: int | None = None,
    optional: bool = False,
) -> Any:
    """A string field described as the services judge it.

    `optional`: may be left out, but not sent as null (the field is typed
    `str`, and None is only the marker of a field not sent).
    """
    rules: dict[str, Any] = {"pattern": pattern}
    if max_length is not None:
        rules["maxLength"] = max_length
    if min_length is not None:
        rules["minLength"] = min_length

    def describe(schema: dict[str, Any]) -> None:
        schema.update(rules)
        schema.pop("default", None)

    return Field(None if optional else ..., json_schema_extra=describe)


def tag_list() -> Any:
    """Tags as the services take them (blanks dropped, each name a tag's rule),
    which may be left out."""

    def describe(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        for choice in schema.get("anyOf", [schema]):
            if choice.get("type") == "array":
                choice["maxItems"] = TAGS_MAX
                choice["items"] = {
                    "type": "string",
                    "maxLength": TAG_MAX,
                    "pattern": blank_or(TAG_PATTERN),  # a blank tag is dropped
                }

    return Field(None, json_schema_extra=describe)


# Requests


class LoginUser(Body):
    email: str = text()
    password: str = text()


class LoginRequest(Body):
    user: LoginUser


class NewUser(Body):
    username: str = text(pattern=stripped(USERNAME_PATTERN), max_length=USERNAME_MAX)
    email: str = text(pattern=stripped(EMAIL_PATTERN), max_length=EMAIL_MAX)
    password: str = text(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class NewUserRequest(Body):
    user: NewUser


class UpdateUser(Body):
    """Any of the fields; `bio` and `image` accept null or "" to clear them."""

    email: str = text(pattern=stripped(EMAIL_PATTERN), max_length=EMAIL_MAX, optional=True)
    username: str = text(pattern=stripped(USERNAME_PATTERN), max_length=USERNAME_MAX, optional=True)
    password: str = text(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX, optional=True)
    bio: str | None = Field(None, json_schema_extra={"maxLength": BIO_MAX, "pattern": KEPT})
    image: str | None = Field(
        None,
        json_schema_extra={"maxLength": IMAGE_URL_MAX, "pattern": blank_or(IMAGE_URL_PATTERN)},
    )


class UpdateUserRequest(Body):
    user: UpdateUser


class NewArticle(Body):
    title: str = text(pattern=SHOWN, max_length=TITLE_MAX)
    description: str = text(pattern=WRITTEN, max_length=DESCRIPTION_MAX)
    body: str = text(pattern=WRITTEN, max_length=BODY_MAX)
    tagList: list[str] | None = tag_list()


class NewArticleRequest(Body):
    article: NewArticle


class UpdateArticle(Body):
    """Any of the fields; an absent field is kept, `tagList: []` clears the tags."""

    title: str = text(pattern=SHOWN, max_length=TITLE_MAX, optional=True)
    description: str = text(pattern=WRITTEN, max_length=DESCRIPTION_MAX, optional=True)
    body: str = text(pattern=WRITTEN, max_length=BODY_MAX, optional=True)
    tagList: list[str] = tag_list()


class UpdateArticleRequest(Body):
    article: UpdateArticle


class NewComment(Body):
    body: str = text(pattern=WRITTEN, max_length=COMMENT_MAX)


class NewCommentRequest(Body):
    comment: NewComment


class ArticleQuery(Body):
    tag: str | None = Field(None, json_schema_extra={"pattern": ANY_TEXT})
    author: str | None = Field(None, json_schema_extra={"pattern": ANY_TEXT})
    favorited: str | None = Field(None, json_schema_extra={"pattern": ANY_TEXT})
    limit: int = Field(20, ge=1, le=PAGE_SIZE_MAX)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class SearchQuery(Body):
    q: str = Field(
        ...,
        description='Words (all must match), "quoted phrases", -word to leave out, OR '
        "between two terms; the last word matches as a prefix.",
        json_schema_extra={"pattern": ANY_TEXT, "minLength": 1, "maxLength": QUERY_MAX},
    )
    tag: str | None = Field(None, json_schema_extra={"pattern": ANY_TEXT})
    author: str | None = Field(None, json_schema_extra={"pattern": ANY_TEXT})
    order: Literal["relevance", "newest"] = "relevance"
    limit: int = Field(20, ge=1, le=PAGE_SIZE_MAX)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class FeedQuery(Body):
    limit: int = Field(20, ge=1, le=PAGE_SIZE_MAX)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


# An article's slug is any path segment but the names routes reserve (the
# feed), as the slug converter matches it.
SLUG = Field(json_schema_extra={"pattern": rf"^(?!(?:{'|'.join(sorted(RESERVED))})$)[^/]+$"})


class SlugPath(Body):
    slug: str = SLUG


class UsernamePath(Body):
    username: str


class CommentPath(Body):
    slug: str = SLUG
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


class SearchHitOut(ArticleSummary):
    """A list's summary and a snippet of the matching text: HTML, the text
    escaped and the matched words in `<mark>`."""

    snippet: str


class SearchResponse(TypedDict):
    articles: list[SearchHitOut]
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
        "tagList": view.tags,
        "createdAt": timestamp(article.created_at),
        "updatedAt": timestamp(article.updated_at),
        "favorited": view.favorited,
        "favoritesCount": view.favorites_count,
        "author": profile_json(view.author),
    }


def search_hit_json(hit: SearchHit) -> SearchHitOut:
    """A search result: the list's summary and its snippet."""
    return {**article_summary_json(hit.view), "snippet": str(hit.snippet)}


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
