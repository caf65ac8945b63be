"""What services hand back: models plus the viewer-specific facts a caller renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from inkwell.models import Article, Comment, User


@dataclass(frozen=True, slots=True)
class AuthorCard:
    """An author as a list shows them, read as plain columns."""

    id: int
    username: str
    bio: str | None
    image_url: str | None


@dataclass(frozen=True, slots=True)
class ArticleCard:
    """An article as a list shows it: plain columns, no body.

    Lists read rows, not ORM objects: building and tracking twenty Article,
    User and Tag instances per page cost more than the page's SQL.
    """

    id: int
    slug: str
    title: str
    description: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    author: AuthorCard


@dataclass(frozen=True, slots=True)
class ProfileView:
    """A user as someone else sees them."""

    user: User | AuthorCard
    following: bool


Shown = TypeVar("Shown", Article, ArticleCard)


# Not slotted: Python 3.11 cannot build a frozen, slotted dataclass over Generic.
@dataclass(frozen=True)
class ArticleView(Generic[Shown]):
    """An article with its tags, favorite count and the viewer's flags: an `Article`
    for a single article, an `ArticleCard` in lists (see `CardView`).

    The tags are names, sorted, read in the article's own statement rather
    than through the `Article.tags` relationship, which would cost one more.
    """

    article: Shown
    tags: list[str]
    favorites_count: int
    favorited: bool
    following: bool

    @property
    def author(self) -> ProfileView:
        """The author as the viewer sees them."""
        return ProfileView(self.article.author, self.following)


CardView = ArticleView[ArticleCard]
"""An article in a list."""


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """One page of a list, and how many articles the whole list holds."""

    items: list[CardView]
    total: int


@dataclass(frozen=True, slots=True)
class CommentView:
    """A comment with whether the viewer follows its author."""

    comment: Comment
    following: bool

    @property
    def author(self) -> ProfileView:
        """The comment's author as the viewer sees them."""
        author: User = self.comment.author
        return ProfileView(author, self.following)
