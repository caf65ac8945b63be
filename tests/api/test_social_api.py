"""Profiles, following and comments through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inkwell.models import Article, User

Api = Callable[..., Any]
MakeUser = Callable[..., User]


def test_profile_and_follow(api: Api, make_user: MakeUser, auth: Callable) -> None:
    make_user("celeb", bio="Famous")
    fan = auth(make_user())
    assert api("get", "/profiles/celeb").json == {
        "profile": {"username": "celeb", "bio": "Famous", "image": None, "following": False}
    }
    for _ in range(2):  # no body, no Content-Type, twice
        response = api("post", "/profiles/celeb/follow", headers=fan)
        assert response.status_code == 200 and response.json["profile"]["following"] is True
    assert api("get", "/profiles/celeb", headers=fan).json["profile"]["following"] is True
    for _ in range(2):
        assert (
            api("delete", "/profiles/celeb/follow", headers=fan).json["profile"]["following"]
            is False
        )
    assert api("get", "/profiles/nobody").json == {"errors": {"profile": ["not found"]}}
    assert api("post", "/profiles/celeb/follow").status_code == 401


def test_following_oneself_is_refused(api: Api, make_user: MakeUser, auth: Callable) -> None:
    """403, not 422: nothing in the request is malformed (the OpenAPI document could not
    say it was), the act itself is refused."""
    me = make_user("me")
    answer = api("post", "/profiles/me/follow", headers=auth(me))
    assert answer.status_code == 403
    assert answer.json == {"errors": {"profile": ["cannot follow yourself"]}}


def test_comments(
    api: Api, make_user: MakeUser, make_article: Callable[..., Article], auth: Callable
) -> None:
    article = make_article()
    reader = make_user("reader")
    created = api(
        "post",
        f"/articles/{article.slug}/comments",
        headers=auth(reader),
        json={"comment": {"body": "Thank you so much!"}},
    )
    assert created.status_code == 201
    comment = created.json["comment"]
    assert set(comment) == {"id", "createdAt", "updatedAt", "body", "author"}
    assert comment["author"]["username"] == "reader"
    listed = api("get", f"/articles/{article.slug}/comments")
    assert listed.json == {"comments": [comment]}
    stranger = auth(make_user())
    denied = api("delete", f"/articles/{article.slug}/comments/{comment['id']}", headers=stranger)
    assert denied.status_code == 403 and denied.json == {"errors": {"comment": ["forbidden"]}}
    assert len(api("get", f"/articles/{article.slug}/comments").json["comments"]) == 1
    gone = api("delete", f"/articles/{article.slug}/comments/{comment['id']}", headers=auth(reader))
    assert gone.status_code == 204
    assert api("get", f"/articles/{article.slug}/comments").json == {"comments": []}
    missing = api(
        "delete", f"/articles/{article.slug}/comments/{comment['id']}", headers=auth(reader)
    )
    assert missing.status_code == 404 and missing.json == {"errors": {"comment": ["not found"]}}
    assert api("get", "/articles/nope/comments").json == {"errors": {"article": ["not found"]}}


def test_blank_comment_is_422(
    api: Api, make_user: MakeUser, make_article: Callable[..., Article], auth: Callable
) -> None:
    article = make_article()
    response = api(
        "post",
        f"/articles/{article.slug}/comments",
        headers=auth(make_user()),
        json={"comment": {"body": " "}},
    )
    assert response.status_code == 422 and response.json == {"errors": {"body": ["can't be blank"]}}
