"""No signed-out reader is ever shown a page older than the last committed write,
nobody signed in is ever shown a kept page, and ETags answer 304 only while
nothing changed: across real commits, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from inkwell.scaling import cache as cache_module
from inkwell.services.moderation import delete_comment, suspend_user, unpublish_article
from tests.caching.conftest import Lookups, Site, csrf_of, spy_on
from tests.ops.test_metrics import sample


@dataclass
class Story:
    """A published article, by `author`, tagged `tag`, with the author's API headers."""

    author: str
    headers: dict[str, str]
    slug: str
    title: str
    tag: str

    def pages(self) -> dict[str, str]:
        """Every kept page that shows the article: the site's and the API's."""
        return {
            "home": "/",
            "article": f"/article/{self.slug}",
            "tag": f"/tag/{self.tag}",
            "feed": "/feed.atom",
            "tag feed": f"/tag/{self.tag}/feed.atom",
            "author feed": f"/@{self.author}/feed.atom",
            "api": "/api/articles",
            "api by tag": f"/api/articles?tag={self.tag}",
            "api by author": f"/api/articles?author={self.author}",
        }

    def lists(self) -> dict[str, str]:
        """The pages that list the article (all but its own)."""
        return {name: path for name, path in self.pages().items() if name != "article"}


@pytest.fixture
def story(site: Site, unique: Callable[[str], str]) -> Story:
    author = unique("author")
    headers = site.account(author)
    tag = unique("tag")
    title = unique("First light ")
    article = {"title": title, "description": "About it", "body": "Words", "tagList": [tag]}
    written = site.api("POST", "/articles", headers, article=article)["article"]
    return Story(author, headers, written["slug"], title, tag)


@pytest.fixture
def lookups(site: Site, monkeypatch: pytest.MonkeyPatch) -> Lookups:
    return spy_on(site.app, monkeypatch)


def warm(site: Site, lookups: Lookups, pages: dict[str, str]) -> None:
    """Read each page twice as a reader: the second read must be the kept page."""
    for name, path in pages.items():
        first = site.text(path)
        assert site.text(path) == first, name
        assert lookups.last(), f"{name} was not kept"


def shown(site: Site, pages: dict[str, str], text: str) -> dict[str, bool]:
    """Whether each page, read now by a reader, shows `text`."""
    return {name: text in site.text(path) for name, path in pages.items()}


def everywhere(pages: dict[str, str], value: bool) -> dict[str, bool]:
    return dict.fromkeys(pages, value)


def test_a_new_article_shows_on_the_next_request(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    lists = story.lists()
    warm(site, lookups, lists)
    title = unique("Second light ")
    article = {"title": title, "description": "More", "body": "Words", "tagList": [story.tag]}
    site.api("POST", "/articles", story.headers, article=article)
    assert shown(site, lists, title) == everywhere(lists, True)


def test_an_edit_shows_on_the_next_request(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    pages = story.pages()
    warm(site, lookups, pages)
    words = unique("Now about something else ")
    edit = {"description": words, "body": words}  # lists show the one, the article the other
    site.api("PUT", f"/articles/{story.slug}", story.headers, article=edit)
    assert shown(site, pages, words) == everywhere(pages, True)


REMOVALS: dict[str, Callable[[Site, Story], object]] = {
    "deleted by its author": lambda site, story: site.api(
        "DELETE", f"/articles/{story.slug}", story.headers
    ),
    "unpublished by a moderator": lambda site, story: site.moderate(unpublish_article, story.slug),
    "its author suspended": lambda site, story: site.moderate(suspend_user, story.author),
}


@pytest.mark.parametrize("removal", REMOVALS)
def test_an_article_taken_away_is_gone_on_the_next_request(
    site: Site, story: Story, lookups: Lookups, removal: str
) -> None:
    lists = story.lists()
    warm(site, lookups, story.pages())
    REMOVALS[removal](site, story)
    gone = [f"/article/{story.slug}"]
    if removal == "its author suspended":  # whose profile, and so feed, is not found
        gone.append(lists.pop("author feed"))
    assert shown(site, lists, story.title) == everywhere(lists, False)
    assert [site.read(path).status_code for path in gone] == [404] * len(gone)


def test_comments_added_and_deleted_show_on_the_next_request(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    page = f"/article/{story.slug}"
    warm(site, lookups, {"article": page})
    commenter = site.account(unique("commenter"))
    words = unique("Lovely piece number ")
    comment = site.api(
        "POST", f"/articles/{story.slug}/comments", commenter, comment={"body": words}
    )
    assert words in site.text(page)
    assert site.text(page) == site.text(page) and lookups.last()
    site.api("DELETE", f"/articles/{story.slug}/comments/{comment['comment']['id']}", commenter)
    assert words not in site.text(page)


def test_favorites_show_on_the_next_request(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    page, listed = f"/article/{story.slug}", f"/api/articles?tag={story.tag}"
    warm(site, lookups, {"article": page, "api": listed})
    fan = site.account(unique("fan"))
    site.api("POST", f"/articles/{story.slug}/favorite", fan)
    assert "Favorite (1)" in site.text(page)
    assert site.read(listed).get_json()["articles"][0]["favoritesCount"] == 1
    warm(site, lookups, {"article": page, "api": listed})
    site.api("DELETE", f"/articles/{story.slug}/favorite", fan)
    assert "Favorite (0)" in site.text(page)
    assert site.read(listed).get_json()["articles"][0]["favoritesCount"] == 0


def test_a_follow_makes_new_pages_though_readers_see_no_follows(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    """A signed-out reader's pages show no follows, but a follow writes content all
    the same: the next reader's page is rendered, not kept (when unsure, raise)."""
    pages = story.pages()
    follower = site.account(unique("follower"))
    for method in ("POST", "DELETE"):
        warm(site, lookups, pages)
        site.api(method, f"/profiles/{story.author}/follow", follower)
        for name, path in pages.items():
            site.text(path)
            assert not lookups.last(), f"{name} was kept across a follow"


def test_profile_changes_show_on_the_next_request(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    pages = {k: v for k, v in story.pages().items() if k not in ("author feed", "api by author")}
    warm(site, lookups, pages)
    renamed, bio = unique("renamed"), unique("Writes about light, part ")
    site.api("PUT", "/user", story.headers, user={"username": renamed, "bio": bio})
    assert shown(site, pages, renamed) == everywhere(pages, True)
    listed = site.read(f"/api/articles?tag={story.tag}").get_json()["articles"][0]
    assert listed["author"] == {"username": renamed, "bio": bio, "image": None, "following": False}
    assert renamed in site.text(f"/@{renamed}/feed.atom")


def test_a_comment_a_moderator_deletes_is_gone_on_the_next_request(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    page = f"/article/{story.slug}"
    words = unique("Rude remark number ")
    body = {"body": words}
    comment = site.api("POST", f"/articles/{story.slug}/comments", story.headers, comment=body)
    warm(site, lookups, {"article": page})
    assert words in site.text(page)
    site.moderate(delete_comment, comment["comment"]["id"])
    assert words not in site.text(page)


def test_a_comment_through_the_site_shows_on_the_next_request(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    page = f"/article/{story.slug}"
    commenter = unique("commenter")
    site.account(commenter)
    browser = site.browser(commenter)
    warm(site, lookups, {"article": page})
    words = unique("Said on the site, number ")
    form = {"body": words, "csrf_token": csrf_of(browser, page)}
    assert browser.post(f"{page}/comments", data=form).status_code == 302
    assert words in site.text(page)


def test_without_the_raise_these_tests_would_see_the_stale_page(
    site: Site, story: Story, lookups: Lookups, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above can fail: with the version left alone, the kept page stays."""
    monkeypatch.setattr(cache_module, "RAISE_VERSION", sa.select(1))
    page = f"/article/{story.slug}"
    warm(site, lookups, {"article": page})
    site.api("PUT", f"/articles/{story.slug}", story.headers, article={"description": "New"})
    assert "New" not in site.text(page) and lookups.last()


def test_every_write_raises_the_version_once(site: Site, story: Story) -> None:
    before = site.content_version()
    site.api("PUT", f"/articles/{story.slug}", story.headers, article={"body": "Changed"})
    assert site.content_version() == before + 1
    site.text("/")
    site.api("GET", "/user", story.headers)
    assert site.content_version() == before + 1  # reading raises nothing


# Who gets a kept page


def test_signed_in_readers_never_get_a_kept_page_or_anyone_elses(
    site: Site, story: Story, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    page = f"/article/{story.slug}"
    warm(site, lookups, {"home": "/", "article": page, "api": "/api/articles"})
    fan, other = unique("fan"), unique("other")
    fan_headers = site.account(fan)
    site.account(other)
    site.api("POST", f"/articles/{story.slug}/favorite", fan_headers)
    warm(site, lookups, {"home": "/", "article": page, "api": "/api/articles"})
    before = lookups.count()
    for name in (fan, other):
        browser = site.browser(name)
        for path in ("/", page):
            response = browser.get(path)
            html = response.get_data(as_text=True)
            assert f">{name}</a>" in html and "Sign out" in html, path
            assert response.headers["Cache-Control"] == "private, no-store"
            assert ("Unfavorite (1)" in html) == (name == fan and path == page)
    listed = site.api("GET", f"/articles?tag={story.tag}", fan_headers)["articles"][0]
    assert listed["favorited"] is True
    assert lookups.count() == before  # nobody signed in even looked for a kept page
    anonymous = site.text(page)
    assert "Sign out" not in anonymous and fan not in anonymous and "Unfavorite" not in anonymous
    assert site.read("/api/articles").get_json()["articles"][0]["favorited"] is False


def test_a_signed_out_readers_flashed_message_is_not_lost_to_a_kept_page(
    site: Site, lookups: Lookups, unique: Callable[[str], str]
) -> None:
    warm(site, lookups, {"home": "/"})
    name = unique("leaver")
    site.account(name)
    browser = site.browser(name)
    browser.post("/logout", data={"csrf_token": csrf_of(browser, "/")})
    assert "You are signed out." in browser.get("/").get_data(as_text=True)
    assert "You are signed out." not in browser.get("/").get_data(as_text=True)


def test_a_kept_page_is_the_page_a_reader_would_get(
    site: Site, story: Story, lookups: Lookups
) -> None:
    for path in story.pages().values():
        fresh = site.read(path, Origin="https://elsewhere.example")
        kept = site.read(path, Origin="https://elsewhere.example")
        assert lookups.last()
        assert kept.get_data() == fresh.get_data()
        assert _alike(kept.headers) == _alike(fresh.headers)
        assert "Set-Cookie" not in fresh.headers
        assert "csrf_token" not in fresh.get_data(as_text=True)
    listed = site.read("/api/articles", Origin="https://another.example")
    assert lookups.last()  # CORS headers are the caller's own, added to the kept page
    assert listed.headers["Access-Control-Allow-Origin"] == "https://another.example"
    assert "Authorization" in listed.headers["Vary"]
    assert "Cookie" in site.read("/").headers["Vary"]


# Conditional requests and Cache-Control


def test_an_etag_answers_304_until_a_write(site: Site, story: Story) -> None:
    for path in (f"/article/{story.slug}", "/api/articles", "/feed.atom"):
        first = site.read(path)
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "no-cache"
        again = site.read(path, **{"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
        assert again.headers["ETag"] == etag
        site.api("PUT", f"/articles/{story.slug}", story.headers, article={"body": path})
        changed = site.read(path, **{"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_max_age_is_the_configured_one(site: Site, story: Story) -> None:
    site.app.extensions["inkwell.cache_max_age"] = 120
    try:
        expected = "public, max-age=120, must-revalidate"
        for path in story.pages().values():
            assert site.read(path).headers["Cache-Control"] == expected, path
    finally:
        site.app.extensions["inkwell.cache_max_age"] = 0


def test_pages_readers_do_not_share_are_left_alone(site: Site, story: Story) -> None:
    response = site.read("/login")
    assert "Cache-Control" not in response.headers and "ETag" not in response.headers
    missing = site.read("/article/no-such-article")
    assert missing.status_code == 404 and "ETag" not in missing.headers


def test_head_is_answered_from_the_same_page(site: Site, story: Story, lookups: Lookups) -> None:
    got = site.read("/api/articles")
    head = site.app.test_client().head("/api/articles")
    assert lookups.last() and head.status_code == 200 and head.get_data() == b""
    assert head.headers["ETag"] == got.headers["ETag"]


def _alike(headers: Any) -> list[tuple[str, str]]:
    """The headers, but for the request's own id and the time it was answered."""
    return sorted((k, v) for k, v in headers.items() if k not in {"X-Request-ID", "Date"})


def test_operators_see_kept_and_rendered_pages_in_the_metrics(site: Site, story: Story) -> None:
    def outcomes() -> tuple[float, float]:
        text = site.reader.get("/metrics").get_data(as_text=True)
        hits = sample(text, "inkwell_response_cache_total", outcome="hit")
        return hits, sample(text, "inkwell_response_cache_total", outcome="miss")

    hits, misses = outcomes()
    for _ in range(3):
        assert site.reader.get(f"/article/{story.slug}").status_code == 200
    assert outcomes() == (hits + 2, misses + 1)
