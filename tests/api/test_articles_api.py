"""Articles, favorites, the feed and tags through the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from inkwell.models import Article, User
from inkwell.services.tags import TAG_CHARACTERS

Api = Callable[..., Any]
MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NEW = {
    "article": {
        "title": "How to train your dragon",
        "description": "Ever wonder how?",
        "body": "Very carefully.",
        "tagList": ["training", "dragons"],
    }
}


def test_create_and_read_an_article(api: Api, make_user: MakeUser, auth: Callable) -> None:
    author = make_user("jake")
    created = api("post", "/articles", headers=auth(author), json=NEW)
    assert created.status_code == 201
    article = created.json["article"]
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["tagList"] == ["dragons", "training"]
    assert article["favorited"] is False and article["favoritesCount"] == 0
    assert article["author"] == {"username": "jake", "bio": None, "image": None, "following": False}
    assert TIMESTAMP.match(article["createdAt"]) and TIMESTAMP.match(article["updatedAt"])
    read = api("get", f"/articles/{article['slug']}")
    assert read.status_code == 200
    assert read.json["article"] == article
    assert set(article) == {
        "slug",
        "title",
        "description",
        "body",
        "tagList",
        "createdAt",
        "updatedAt",
        "favorited",
        "favoritesCount",
        "author",
    }


def test_duplicate_title_gets_another_readable_slug(
    api: Api, make_user: MakeUser, auth: Callable
) -> None:
    author = make_user()
    first = api("post", "/articles", headers=auth(author), json=NEW).json["article"]["slug"]
    second = api("post", "/articles", headers=auth(author), json=NEW)
    assert second.status_code == 201
    assert second.json["article"]["slug"] == f"{first}-2"


def test_create_needs_a_token_then_valid_fields(
    api: Api, make_user: MakeUser, auth: Callable
) -> None:
    assert api("post", "/articles", json={"article": {}}).status_code == 401
    response = api(
        "post",
        "/articles",
        headers=auth(make_user()),
        json={"article": {"title": "", "description": "d"}},
    )
    assert response.status_code == 422
    assert response.json["errors"]["body"] == ["can't be blank"]


def test_list_omits_bodies_and_counts_all(api: Api, make_article: MakeArticle) -> None:
    for _ in range(3):
        make_article()
    response = api("get", "/articles?limit=2")
    assert response.status_code == 200
    assert response.json["articlesCount"] == 3
    assert len(response.json["articles"]) == 2
    assert all("body" not in item for item in response.json["articles"])


def test_list_filters_and_pages(
    api: Api, make_user: MakeUser, make_article: MakeArticle, auth: Callable
) -> None:
    jake, other = make_user("jake"), make_user("other")
    tagged = make_article(jake, "Tagged", tags=("dragons",))
    make_article(other, "Untagged")
    api("post", f"/articles/{tagged.slug}/favorite", headers=auth(other))
    assert [a["slug"] for a in api("get", "/articles?tag=dragons").json["articles"]] == [
        tagged.slug
    ]
    assert [a["slug"] for a in api("get", "/articles?author=jake").json["articles"]] == [
        tagged.slug
    ]
    assert [a["slug"] for a in api("get", "/articles?favorited=other").json["articles"]] == [
        tagged.slug
    ]
    assert api("get", "/articles?offset=1&limit=1").json["articles"][0]["slug"] == tagged.slug


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-1",
        "limit=1000",
        "limit=abc",
        "offset=-5",
        "offset=x",
        "offset=99999999999999999999",
    ],
)
def test_bad_paging_is_422(api: Api, query: str) -> None:
    response = api("get", f"/articles?{query}")
    assert response.status_code == 422
    assert set(response.json["errors"]) <= {"limit", "offset"}


def test_pages_by_offset_are_slices_of_the_whole_list(
    api: Api, make_user: MakeUser, make_article: MakeArticle
) -> None:
    for n in range(7):
        make_article(make_user(), f"Entry {n}", tags=("paged",))
    whole = api("get", "/articles?tag=paged&limit=100").json
    slugs = [article["slug"] for article in whole["articles"]]
    for offset in range(0, 9, 3):
        page = api("get", f"/articles?tag=paged&limit=3&offset={offset}").json
        assert [article["slug"] for article in page["articles"]] == slugs[offset : offset + 3]
        assert page["articlesCount"] == whole["articlesCount"] == 7


@pytest.mark.parametrize("path", ["/articles", "/articles/feed"])
def test_offsets_past_the_sites_limit_are_refused_by_name(
    app: Flask,
    api: Api,
    make_user: MakeUser,
    auth: Callable,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    headers = auth(make_user())
    assert app.config["INKWELL_API_OFFSET_MAX"] == 100_000  # the documented default
    monkeypatch.setitem(app.config, "INKWELL_API_OFFSET_MAX", 40)
    assert api("get", f"{path}?offset=40", headers=headers).status_code == 200
    refused = api("get", f"{path}?offset=41", headers=headers)
    assert refused.status_code == 422
    assert refused.json == {"errors": {"offset": ["must be at most 40"]}}


def test_the_document_states_the_offset_limit(app: Flask, api: Api) -> None:
    document = api("get", "/openapi.json").json
    for path in ("/api/articles", "/api/articles/feed"):
        (offset,) = [
            p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "offset"
        ]
        assert offset["schema"]["maximum"] == app.config["INKWELL_API_OFFSET_MAX"]


def test_update_body_only(api: Api, make_user: MakeUser, auth: Callable) -> None:
    author = make_user()
    article = api("post", "/articles", headers=auth(author), json=NEW).json["article"]
    updated = api(
        "put",
        f"/articles/{article['slug']}",
        headers=auth(author),
        json={"article": {"body": "With a carrot."}},
    )
    assert updated.status_code == 200
    new = updated.json["article"]
    assert new["body"] == "With a carrot."
    for key in ("slug", "title", "description", "tagList", "createdAt"):
        assert new[key] == article[key]
    assert new["updatedAt"] > article["updatedAt"]


def test_update_title_moves_slug_and_tags_rules(
    api: Api, make_user: MakeUser, auth: Callable
) -> None:
    author = make_user()
    slug = api("post", "/articles", headers=auth(author), json=NEW).json["article"]["slug"]
    moved = api(
        "put",
        f"/articles/{slug}",
        headers=auth(author),
        json={"article": {"title": "Dragons, revisited"}},
    )
    assert moved.json["article"]["slug"] == "dragons-revisited"
    assert api("get", f"/articles/{slug}").status_code == 404
    slug = "dragons-revisited"
    null = api(
        "put", f"/articles/{slug}", headers=auth(author), json={"article": {"tagList": None}}
    )
    assert null.status_code == 422 and null.json == {"errors": {"tagList": ["can't be blank"]}}
    kept = api(
        "put", f"/articles/{slug}", headers=auth(author), json={"article": {"description": "New"}}
    )
    assert kept.json["article"]["tagList"] == ["dragons", "training"]
    cleared = api(
        "put", f"/articles/{slug}", headers=auth(author), json={"article": {"tagList": []}}
    )
    assert cleared.json["article"]["tagList"] == []


def test_checks_run_401_then_404_then_403_then_422(
    api: Api, make_user: MakeUser, make_article: MakeArticle, auth: Callable
) -> None:
    article = make_article()
    stranger = auth(make_user())
    invalid = {"article": {"title": ""}}
    assert api("put", "/articles/nope", json=invalid).status_code == 401
    assert api("put", "/articles/nope", headers=stranger, json=invalid).json == {
        "errors": {"article": ["not found"]}
    }
    forbidden = api("put", f"/articles/{article.slug}", headers=stranger, json=invalid)
    assert forbidden.status_code == 403 and forbidden.json == {"errors": {"article": ["forbidden"]}}
    own = api("put", f"/articles/{article.slug}", headers=auth(article.author), json=invalid)
    assert own.status_code == 422


def test_a_null_field_is_judged_after_404_and_403(
    api: Api, make_user: MakeUser, make_article: MakeArticle, auth: Callable
) -> None:
    article = make_article()
    stranger = auth(make_user())
    null = {"article": {"title": None, "body": None}}
    assert api("put", "/articles/nope", headers=stranger, json=null).status_code == 404
    assert api("put", f"/articles/{article.slug}", headers=stranger, json=null).status_code == 403
    own = api("put", f"/articles/{article.slug}", headers=auth(article.author), json=null)
    assert own.status_code == 422
    assert own.json == {"errors": {"title": ["can't be blank"], "body": ["can't be blank"]}}


@pytest.mark.parametrize(
    "invalid",
    [
        {"article": {"title": 5}},
        {"article": {"tagList": "not a list"}},
        {"article": "not an object"},
        {"article": {"title": ["a"] * 3}},
    ],
)
def test_a_body_of_the_wrong_shape_is_judged_after_404_and_403(
    api: Api, make_user: MakeUser, make_article: MakeArticle, auth: Callable, invalid: Any
) -> None:
    article = make_article()
    stranger = auth(make_user())
    assert api("put", "/articles/nope", json=invalid).status_code == 401
    assert api("put", "/articles/nope", headers=stranger, json=invalid).status_code == 404
    assert (
        api("put", f"/articles/{article.slug}", headers=stranger, json=invalid).status_code == 403
    )
    own = api("put", f"/articles/{article.slug}", headers=auth(article.author), json=invalid)
    assert own.status_code == 422


def test_a_comment_of_the_wrong_shape_on_a_missing_article_is_404(
    api: Api, make_user: MakeUser, auth: Callable
) -> None:
    for invalid in ({"comment": {"body": 5}}, {"comment": None}, {}):
        answer = api("post", "/articles/nope/comments", headers=auth(make_user()), json=invalid)
        assert answer.status_code == 404, invalid
        assert answer.json == {"errors": {"article": ["not found"]}}


def test_delete(api: Api, make_article: MakeArticle, make_user: MakeUser, auth: Callable) -> None:
    article = make_article()
    slug, owner = article.slug, auth(article.author)
    assert api("delete", f"/articles/{slug}", headers=auth(make_user())).status_code == 403
    response = api("delete", f"/articles/{slug}", headers=owner)
    assert response.status_code == 204 and response.data == b""
    assert api("get", f"/articles/{slug}").status_code == 404
    assert api("delete", f"/articles/{slug}", headers=owner).status_code == 404


def test_favorite_is_idempotent_and_persists(
    api: Api, make_article: MakeArticle, make_user: MakeUser, auth: Callable
) -> None:
    article = make_article()
    fan = auth(make_user())
    for _ in range(2):
        response = api("post", f"/articles/{article.slug}/favorite", headers=fan)
        assert response.status_code == 200
        assert (
            response.json["article"]["favorited"],
            response.json["article"]["favoritesCount"],
        ) == (True, 1)
    later = api("get", f"/articles/{article.slug}", headers=fan).json["article"]
    assert (later["favorited"], later["favoritesCount"]) == (True, 1)
    assert api("get", "/articles", headers=fan).json["articles"][0]["favorited"] is True
    for _ in range(2):
        response = api("delete", f"/articles/{article.slug}/favorite", headers=fan)
        assert (
            response.json["article"]["favorited"],
            response.json["article"]["favoritesCount"],
        ) == (False, 0)
    assert api("post", "/articles/missing/favorite", headers=fan).status_code == 404


def test_feed(api: Api, make_user: MakeUser, make_article: MakeArticle, auth: Callable) -> None:
    reader = auth(make_user())
    empty = api("get", "/articles/feed", headers=reader)
    assert empty.status_code == 200 and empty.json == {"articles": [], "articlesCount": 0}
    assert api("get", "/articles/feed").status_code == 401
    writer = make_user("writer")
    article = make_article(writer)
    make_article()
    api("post", "/profiles/writer/follow", headers=reader)
    feed = api("get", "/articles/feed", headers=reader).json
    assert feed["articlesCount"] == 1
    assert feed["articles"][0]["slug"] == article.slug
    assert feed["articles"][0]["author"]["following"] is True


@pytest.mark.parametrize("tag", ["ci/cd", "a/../../b", "..", "why?", "back\\slash", "tab\tbed"])
def test_a_tag_that_could_have_no_page_is_refused(
    api: Api, make_user: MakeUser, auth: Callable, tag: str
) -> None:
    article = {"article": {"title": "Tagged", "description": "d", "body": "b", "tagList": [tag]}}
    response = api("post", "/articles", headers=auth(make_user()), json=article)
    assert response.status_code == 422
    assert response.json == {"errors": {"tagList": [TAG_CHARACTERS]}}
    assert "letters, digits, spaces and - _ . + #" in TAG_CHARACTERS


def test_an_article_titled_like_a_route_can_still_be_read(
    api: Api, make_user: MakeUser, auth: Callable
) -> None:
    article = {"article": {"title": "Feed", "description": "d", "body": "b"}}
    slug = api("post", "/articles", headers=auth(make_user()), json=article).json["article"]["slug"]
    assert slug == "feed-2"
    assert api("get", f"/articles/{slug}").json["article"]["title"] == "Feed"


def test_no_route_name_can_become_a_slug(app: Flask) -> None:
    """Wherever a route puts a slug, the names other routes put there are reserved."""
    from inkwell.services.slugs import RESERVED

    rules = [rule.rule.split("/") for rule in app.url_map.iter_rules()]
    taken = {
        parts[position]
        for with_slug in rules
        for position, part in enumerate(with_slug)
        if part in ("<slug>", "<slug:slug>")
        for parts in rules
        if len(parts) > position
        and parts[:position] == with_slug[:position]
        and not parts[position].startswith("<")
    }
    assert "feed" in taken
    assert taken <= RESERVED


def test_tags_appear_as_soon_as_used(api: Api, make_user: MakeUser, auth: Callable) -> None:
    assert api("get", "/tags").json == {"tags": []}
    api("post", "/articles", headers=auth(make_user()), json=NEW)
    assert sorted(api("get", "/tags").json["tags"]) == ["dragons", "training"]


def test_statement_budget(
    api: Api,
    make_user: MakeUser,
    make_article: MakeArticle,
    auth: Callable,
    count_queries: Callable,
) -> None:
    viewer = make_user()
    headers = auth(viewer)
    for n in range(30):
        writer = make_user()
        article = make_article(writer, tags=("a", f"t{n}"))
        api("post", f"/profiles/{writer.username}/follow", headers=headers)
        api("post", f"/articles/{article.slug}/favorite", headers=headers)
    # Exact: one statement carries a list's page, tags and total, and one an
    # article with its tags. The viewer is already in the test's session; a
    # real request loads them once more.
    budgets = {
        "/articles?limit=100": 1,
        "/articles/feed?limit=100": 1,
        f"/articles/{article.slug}": 1,
        "/articles?limit=100&tag=a": 1,
        "/articles?limit=100&offset=1000": 2,  # past the end: the total alone
    }
    for path, budget in budgets.items():
        with count_queries() as statements:
            assert api("get", path, headers=headers).status_code == 200
        assert statements() == budget, path
