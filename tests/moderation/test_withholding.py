"""A suspended author's articles and comments are hidden from every reader, and
every kept total, feed, tag count and search result is exact while they are
and after the author is reinstated."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inkwell.extensions import db, limiter
from inkwell.models import Article, Counter, Tag, User
from inkwell.models.counters import PUBLISHED_ARTICLES
from inkwell.ops import portable
from inkwell.queries import articles as q
from inkwell.services import articles as service
from inkwell.services.comments import add_comment
from tests.conftest import migrated_app, stale_tag_links
from tests.databases import Backend
from tests.moderation.conftest import member, reinstate, suspend, token_of
from tests.search.conftest import Writer, committed

TITLES = re.compile(r'<h2><a href="/article/[^"]+">([^<]+)</a></h2>')
ATOM_TITLES = re.compile(r"<entry>\s*<title[^>]*>([^<]+)</title>")
SITEMAP_ARTICLES = re.compile(r"<loc>[^<]*/article/")
RESULTS = re.compile(r'class="results-count">\s*([\d,]+) results? for')


@pytest.fixture
def scene(writer: Writer, password_hash: str, http: Any) -> dict[str, Any]:
    """ada (to be suspended) and grace write; reader follows both and comments."""
    ada = member(writer, "ada", password_hash)
    grace = member(writer, "grace", password_hash)
    member(writer, "reader", password_hash)
    slugs = {
        "ada sea": writer.article(ada, "Ada sea", "The tide at dawn.", tags=("sea", "charts")),
        "ada sea 2": writer.article(ada, "Ada sea 2", "A tide table.", tags=("sea",)),
        "ada ink": writer.article(ada, "Ada ink", "Ink and tide.", tags=("ink",)),
        "ada draft": writer.article(ada, "Ada draft", "A tide draft.", publish=False),
        "grace sea": writer.article(grace, "Grace sea", "Tide pools.", tags=("sea",)),
        "grace charts": writer.article(grace, "Grace charts", "Tide charts.", tags=("charts",)),
    }
    reader = token_of(http, "reader")
    for name in ("ada", "grace"):
        assert http.post(f"/api/profiles/{name}/follow", headers=reader).status_code == 200
    for name, remark in (("ada", "Ada's remark"), ("reader", "Reader's remark")):
        with committed(writer.app):
            author = db.session.scalar(sa.select(User).where(User.username == name))
            assert author is not None
            add_comment(author, slugs["grace sea"], remark)
    return {"slugs": slugs, "reader": reader}


def page(http: Any, url: str, status: int = 200) -> str:
    answer = http.get(url)
    assert answer.status_code == status, (url, answer.status_code)
    return str(answer.get_data(as_text=True))


def seen(http: Any, scene: dict[str, Any]) -> dict[str, Any]:
    """Everything a reader sees of the archive, through the API and the site."""

    def api(url: str, *, signed_in: bool = False) -> Any:
        answer = http.get(url, headers=scene["reader"] if signed_in else {})
        assert answer.status_code == 200, (url, answer.get_json())
        return answer.get_json()

    def listed(url: str, *, signed_in: bool = False) -> tuple[int, list[str]]:
        body = api(url, signed_in=signed_in)
        return body["articlesCount"], sorted(a["title"] for a in body["articles"])

    commented = scene["slugs"]["grace sea"]
    return {
        "all": listed("/api/articles?limit=100"),
        "all signed in": listed("/api/articles?limit=100", signed_in=True),
        "sea": listed("/api/articles?tag=sea&limit=100"),
        "ink": listed("/api/articles?tag=ink"),
        "ada": listed("/api/articles?author=ada"),
        "sea by ada": listed("/api/articles?tag=sea&author=ada"),
        "feed": listed("/api/articles/feed?limit=100", signed_in=True),
        "tags": api("/api/tags")["tags"],
        "search": listed("/api/search?q=tide&limit=100"),
        "search sea": listed("/api/search?q=tide&tag=sea"),
        "search ada": listed("/api/search?q=tide&author=ada"),
        "comments": [c["body"] for c in api(f"/api/articles/{commented}/comments")["comments"]],
        "home": sorted(TITLES.findall(page(http, "/"))),
        "tag page": sorted(TITLES.findall(page(http, "/tag/sea"))),
        "site search": RESULTS.findall(page(http, "/search?q=tide")),
        "remark on page": "Ada&#39;s remark" in page(http, f"/article/{commented}"),
        "atom": sorted(ATOM_TITLES.findall(page(http, "/feed.atom"))),
        "sitemap": len(SITEMAP_ARTICLES.findall(page(http, "/sitemap.xml"))),
    }


def kept_and_counted(app: Flask) -> tuple[dict[str, int], dict[str, int]]:
    """The kept totals, and the same figures counted from the listed articles."""
    with committed(app):
        kept = {"*": db.session.get(Counter, PUBLISHED_ARTICLES).value}  # type: ignore[union-attr]
        kept |= {
            name: count
            for name, count in db.session.execute(sa.select(Tag.name, Tag.published_count))
        }
        listed = sa.select(Article.id).where(q.published())
        counted = {"*": len(db.session.scalars(listed).all())}
        for tag in db.session.scalars(sa.select(Tag)):
            counted[tag.name] = len(
                [a for a in db.session.scalars(sa.select(Article)) if a.is_listed and tag in a.tags]
            )
        return kept, counted


def search_check(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["search", "check"])
    return result.exit_code, result.output


def test_a_suspension_hides_everything_until_reinstated_exactly(
    search_app: Flask, http: Any, scene: dict[str, Any]
) -> None:
    before = seen(http, scene)
    assert before["all"] == (5, ["Ada ink", "Ada sea", "Ada sea 2", "Grace charts", "Grace sea"])
    assert before["sea"][0] == 3 and before["tags"] == ["charts", "ink", "sea"]
    assert before["comments"] == ["Ada's remark", "Reader's remark"]
    assert before["remark on page"] and before["site search"] == ["5"]

    assert suspend(search_app, "ada") == 4  # the draft too
    hidden = seen(http, scene)
    grace_only = (2, ["Grace charts", "Grace sea"])
    assert hidden["all"] == hidden["all signed in"] == hidden["feed"] == grace_only
    assert hidden["search"] == grace_only
    assert hidden["sea"] == hidden["search sea"] == (1, ["Grace sea"])
    assert hidden["ink"] == hidden["ada"] == hidden["sea by ada"] == hidden["search ada"] == (0, [])
    assert hidden["tags"] == ["charts", "sea"]
    assert hidden["comments"] == ["Reader's remark"]
    assert hidden["home"] == ["Grace charts", "Grace sea"]
    assert hidden["tag page"] == ["Grace sea"]
    assert hidden["site search"] == ["2"]
    assert hidden["remark on page"] is False
    assert hidden["atom"] == ["Grace charts", "Grace sea"] and hidden["sitemap"] == 2

    assert suspend(search_app, "ada") == 0  # twice counts once
    assert seen(http, scene) == hidden

    assert reinstate(search_app, "ada") == 4
    assert seen(http, scene) == before
    assert reinstate(search_app, "ada") == 0
    assert seen(http, scene) == before


def test_a_withheld_article_and_its_author_are_not_found(
    search_app: Flask, http: Any, scene: dict[str, Any]
) -> None:
    slug, reader = scene["slugs"]["ada sea"], scene["reader"]
    suspend(search_app, "ada")
    assert http.get(f"/api/articles/{slug}").status_code == 404
    assert http.get(f"/api/articles/{slug}", headers=reader).status_code == 404
    assert http.get(f"/api/articles/{slug}/comments").status_code == 404
    page(http, f"/article/{slug}", 404)
    assert http.post(f"/api/articles/{slug}/favorite", headers=reader).status_code == 404
    comment = {"comment": {"body": "Hello?"}}
    answer = http.post(f"/api/articles/{slug}/comments", json=comment, headers=reader)
    assert (answer.status_code, answer.get_json()) == (404, {"errors": {"article": ["not found"]}})
    edit = {"article": {"title": "Mine now"}}
    assert http.put(f"/api/articles/{slug}", json=edit, headers=reader).status_code == 404
    assert http.delete(f"/api/articles/{slug}", headers=reader).status_code == 404
    answer = http.get("/api/profiles/ada")
    assert (answer.status_code, answer.get_json()) == (404, {"errors": {"profile": ["not found"]}})
    assert http.get("/api/profiles/ADA", headers=reader).status_code == 404
    assert http.post("/api/profiles/ada/follow", headers=reader).status_code == 404
    assert http.delete("/api/profiles/ada/follow", headers=reader).status_code == 404
    page(http, "/@ada", 404)
    page(http, "/@ada/feed.atom", 404)

    reinstate(search_app, "ada")
    assert http.get(f"/api/articles/{slug}").status_code == 200
    page(http, f"/article/{slug}")
    assert http.post(f"/api/articles/{slug}/favorite", headers=reader).status_code == 200
    profile = http.get("/api/profiles/ada", headers=reader).get_json()["profile"]
    assert profile["following"] is True  # the follow was kept
    page(http, "/@ada")


def test_the_checks_find_nothing_while_withheld_and_after(
    search_app: Flask, scene: dict[str, Any]
) -> None:
    assert search_check(search_app)[0] == 0
    for act in (suspend, reinstate):
        act(search_app, "ada")
        kept, counted = kept_and_counted(search_app)
        assert kept == counted
        code, output = search_check(search_app)
        assert code == 0, output
        with committed(search_app):
            assert stale_tag_links() == []
        result = search_app.test_cli_runner().invoke(args=["db", "maintain"])
        assert result.exit_code == 0, result.output
        assert kept_and_counted(search_app) == (kept, counted)  # the repair changes nothing


def article_named(slug: str) -> Article:
    article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    assert article is not None
    return article


def test_unpublish_and_remove_keep_totals_exact_whether_withheld_or_listed(
    search_app: Flask, http: Any, scene: dict[str, Any]
) -> None:
    slugs = scene["slugs"]
    suspend(search_app, "ada")
    with committed(search_app):
        assert service.unpublish(article_named(slugs["ada sea"])) is True
        assert service.remove(article_named(slugs["ada ink"])) is True
        assert service.unpublish(article_named(slugs["ada draft"])) is False
    with committed(search_app):
        assert service.unpublish(article_named(slugs["grace charts"])) is True
        assert service.unpublish(article_named(slugs["grace charts"])) is False
        listed = article_named(slugs["grace sea"])
        assert service.remove(listed) is True
    kept, counted = kept_and_counted(search_app)
    assert kept == counted and kept["*"] == 0
    assert search_check(search_app)[0] == 0
    assert http.get("/api/articles").get_json()["articlesCount"] == 0
    assert http.get("/api/tags").get_json()["tags"] == []

    reinstate(search_app, "ada")
    kept, counted = kept_and_counted(search_app)
    assert kept == counted
    assert kept == {"*": 1, "sea": 1, "charts": 0, "ink": 0}
    body = http.get("/api/articles?tag=sea").get_json()
    assert (body["articlesCount"], [a["title"] for a in body["articles"]]) == (1, ["Ada sea 2"])
    assert http.get(f"/api/articles/{slugs['ada sea']}").status_code == 404  # a draft now
    assert http.get("/api/search?q=tide").get_json()["articlesCount"] == 1
    assert search_check(search_app)[0] == 0


def test_a_removed_article_is_gone_for_a_second_remover(
    search_app: Flask, scene: dict[str, Any]
) -> None:
    with committed(search_app):
        article = article_named(scene["slugs"]["grace sea"])
    with committed(search_app):
        assert service.remove(article_named(scene["slugs"]["grace sea"])) is True
    with committed(search_app):
        stale = db.session.merge(article, load=False)
        assert service.remove(stale) is False
        assert service.unpublish(stale) is False
    assert kept_and_counted(search_app)[0]["*"] == 4


def test_an_import_withholds_the_articles_of_suspended_authors(
    search_app: Flask,
    http: Any,
    scene: dict[str, Any],
    backend: Backend,
    tmp_path: Path,
) -> None:
    suspend(search_app, "ada")
    hidden = seen(http, scene)
    exported = io.BytesIO()
    with search_app.app_context():
        portable.export(exported)
        db.session.remove()
    url = backend.fresh_url("inkwell_test_moderation_import", tmp_path)
    with migrated_app(url, tmp_path) as imported:
        with committed(imported):
            portable.import_(io.BytesIO(exported.getvalue()))
        kept, counted = kept_and_counted(imported)
        assert kept == counted and kept["*"] == 2
        assert search_check(imported)[0] == 0
        with imported.app_context():
            limiter.reset()
        client = imported.test_client()
        scene["reader"] = token_of(client, "reader")  # the old token's credentials ended
        assert seen(client, scene) == hidden

        reinstate(imported, "ada")
        kept, counted = kept_and_counted(imported)
        assert kept == counted and kept["*"] == 5
        assert search_check(imported)[0] == 0
        assert client.get("/api/articles?author=ada").get_json()["articlesCount"] == 3
