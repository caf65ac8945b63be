"""Comments: who may add, see and delete them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from inkwell.models import Article, Comment, User
from inkwell.services.comments import add_comment, delete_comment, list_comments
from inkwell.services.errors import Forbidden, Invalid, NotFound
from inkwell.services.profiles import follow_user

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]


def test_comments_are_listed_oldest_first_with_follow_flags(
    make_user: MakeUser, make_article: MakeArticle
) -> None:
    article = make_article()
    reader, other = make_user(), make_user()
    first = add_comment(reader, article.slug, "First!").comment
    second = add_comment(other, article.slug, "Second.").comment
    follow_user(reader, other.username)
    views = list_comments(reader, article.slug)
    assert [v.comment.id for v in views] == [first.id, second.id]
    assert [v.following for v in views] == [False, True]
    assert [v.following for v in list_comments(None, article.slug)] == [False, False]


def test_listing_comments_costs_the_same_for_any_number(
    make_user: MakeUser, make_article: MakeArticle, count_queries: Callable
) -> None:
    article = make_article()
    viewer = make_user()
    for n in range(15):
        add_comment(make_user(), article.slug, f"comment {n}")
    with count_queries() as statements:
        views = list_comments(viewer, article.slug)
        assert all(v.author.user.username for v in views)
    assert len(views) == 15
    assert statements() == 2


@pytest.mark.parametrize("body", ["", "   \n "])
def test_blank_comment(make_user: MakeUser, make_article: MakeArticle, body: str) -> None:
    with pytest.raises(Invalid) as caught:
        add_comment(make_user(), make_article().slug, body)
    assert caught.value.errors == {"body": ["can't be blank"]}


def test_overlong_comment(make_user: MakeUser, make_article: MakeArticle) -> None:
    with pytest.raises(Invalid):
        add_comment(make_user(), make_article().slug, "x" * 10_001)


def test_comment_on_a_missing_or_draft_article(
    make_user: MakeUser, make_article: MakeArticle
) -> None:
    with pytest.raises(NotFound, match="article"):
        add_comment(make_user(), "no-such-article", "hello")
    draft = make_article(publish=False)
    with pytest.raises(NotFound, match="article"):
        add_comment(make_user(), draft.slug, "hello")


def test_comment_author_and_article_author_may_delete(
    make_user: MakeUser, make_article: MakeArticle, session: sa.orm.Session
) -> None:
    writer, reader = make_user(), make_user()
    article = make_article(writer)
    mine = add_comment(reader, article.slug, "mine").comment
    theirs = add_comment(reader, article.slug, "moderated").comment
    delete_comment(reader, article.slug, mine.id)
    delete_comment(writer, article.slug, theirs.id)
    assert session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_others_may_not_delete_and_the_comment_survives(
    make_user: MakeUser, make_article: MakeArticle, session: sa.orm.Session
) -> None:
    article = make_article()
    comment = add_comment(make_user(), article.slug, "keep me").comment
    with pytest.raises(Forbidden) as caught:
        delete_comment(make_user(), article.slug, comment.id)
    assert caught.value.errors == {"comment": ["forbidden"]}
    assert session.get(Comment, comment.id) is not None


def test_deleting_a_missing_comment(make_user: MakeUser, make_article: MakeArticle) -> None:
    article, other = make_article(), make_article()
    elsewhere = add_comment(make_user(), other.slug, "elsewhere").comment
    with pytest.raises(NotFound, match="comment"):
        delete_comment(make_user(), article.slug, 999_999)
    with pytest.raises(NotFound, match="comment"):
        delete_comment(make_user(), article.slug, elsewhere.id)
