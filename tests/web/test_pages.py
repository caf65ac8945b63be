"""Pages for readers: lists, articles, feeds, error pages, headers, statement counts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from markupsafe import escape

from inkwell.markdown import RENDERER_VERSION, render_markdown
from inkwell.models import Article, User
from inkwell.models.articles import BODY_MAX
from inkwell.services.articles import ArticleEdit, update_article
from inkwell.services.comments import add_comment
from inkwell.services.favorites import favorite_article
from inkwell.services.profiles import follow_user
from inkwell.web.feeds import ENTRY_CONTENT_MAX, FEED_CONTENT_MAX, FEED_SIZE
from tests.conftest import forget_cached
from tests.web.conftest import as_a_new_request

MakeUser = Callable[..., User]
MakeArticle = Callable[..., Article]
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/article/[^"]+">([^<]+)</a></h2>', html)


def test_home_pages_through_the_archive_by_keyset(
    client: Any, make_article: MakeArticle, session: sa.orm.Session
) -> None:
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(25):
        article = make_article(title=f"Piece {n:02d}", tags=("news",))
        article.published_at = start + timedelta(minutes=n)
    session.commit()
    first = client.get("/").get_data(as_text=True)
    assert titles(first) == [f"Piece {n:02d}" for n in range(24, 4, -1)]
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert titles(second) == [f"Piece {n:02d}" for n in range(4, -1, -1)]
    assert 'rel="next"' not in second
    assert "news" in first  # popular tags
    assert client.get("/?before=garbage").status_code == 400


def test_pages_run_a_fixed_number_of_statements(
    app: Any,
    client: Any,
    session: sa.orm.Session,
    make_user: MakeUser,
    make_article: MakeArticle,
    sign_in: Callable,
    count_queries: Callable,
) -> None:
    reader = make_user()
    sign_in(reader)
    author = make_user("author")
    follow_user(reader, "author")

    def costs() -> dict[str, int]:
        article = make_article(author, tags=("t",))
        add_comment(make_user(), article.slug, "hello")
        session.commit()  # in its own unit, as a reader's comment is: not in the next page's
        result = {}
        paths = ["/", "/feed", f"/article/{article.slug}", "/@author", "/tag/t", "/feed.atom"]
        for path in paths:
            forget_cached(app)  # measure pages that recount their sidebar
            as_a_new_request()
            with count_queries() as statements:
                assert client.get(path).status_code == 200
            result[path.split("/")[1] or "home"] = statements()
        return result

    few = costs()
    for _ in range(12):
        costs()
    assert costs() == few
    # Exact, so that one more statement on any page is noticed. Loading the
    # signed-in reader is one of them, with their session.
    assert few == {
        "home": 3,
        "feed": 3,
        "article": 3,
        "@author": 4,
        "tag": 2,
        "feed.atom": 2,
    }


def test_kept_cards_show_every_change_at_once(
    client: Any, make_user: MakeUser, make_article: MakeArticle
) -> None:
    """Cards are rendered once per process; a change to what one shows is a new card."""
    article = make_article(make_user("writer"), "Kept card", tags=("one",))
    assert "♥ 0" in client.get("/").get_data(as_text=True)
    favorite_article(make_user(), article.slug)
    update_article(article.author, article.slug, ArticleEdit(title="Changed card", tags=["two"]))
    page = client.get("/").get_data(as_text=True)
    cards = page[page.index('<ol class="article-list">') : page.index("</ol>")]
    assert "Changed card" in cards and "Kept card" not in cards
    assert "♥ 1" in cards and 'href="/tag/two"' in cards and 'href="/tag/one"' not in cards


def test_article_markdown_is_rendered_and_sanitised(client: Any, make_article: MakeArticle) -> None:
    body = (
        "# Heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('hi')\n```\n\n"
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[bad](javascript:alert(1)) [good](https://example.com)\n\n<iframe src=https://evil.example></iframe>"
    )
    article = make_article(title="Rich", body=body)
    html = client.get(f"/article/{article.slug}").get_data(as_text=True)
    prose = html[html.index('<div class="prose">') : html.index('id="comments"')]
    assert "<table>" in prose and '<code class="language-python">' in prose
    assert "<script" not in prose and "onerror" not in prose and 'href="javascript:' not in prose
    assert "<iframe" not in prose
    assert '<a href="https://example.com" rel="nofollow noopener">good</a>' in prose


PUBLIC_URL = "https://blog.example.com/journal"
FORGED = {"Host": "attacker.example"}


@pytest.fixture
def on_public_url(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app as configured with INKWELL_PUBLIC_URL=PUBLIC_URL."""
    settings = app.extensions["inkwell.settings"]
    public = settings.model_copy(update={"public_url": PUBLIC_URL})
    monkeypatch.setitem(app.extensions, "inkwell.settings", public)


@pytest.mark.usefixtures("on_public_url")
def test_links_for_machines_come_from_the_public_url_whatever_the_host(
    client: Any, make_user: MakeUser, make_article: MakeArticle
) -> None:
    """Feed readers, crawlers and caches keep these links: a forged Host header must
    not get its own address into them."""
    make_article(make_user("writer"), title="Linked", tags=("news",))
    links: list[str] = []
    for path in ["/feed.atom", "/tag/news/feed.atom", "/@writer/feed.atom"]:
        feed = ET.fromstring(client.get(path, headers=FORGED).data)
        links += [feed.findtext(f"{ATOM}id") or "", *(e.text or "" for e in feed.iter(f"{ATOM}id"))]
        links += [link.get("href", "") for link in feed.iter(f"{ATOM}link")]
    sitemap = ET.fromstring(client.get("/sitemap.xml", headers=FORGED).data)
    links += [loc.text or "" for loc in sitemap.iter(f"{SITEMAP}loc")]
    robots = client.get("/robots.txt", headers=FORGED).get_data(as_text=True)
    links += re.findall(r"^Sitemap: (.*)$", robots, re.MULTILINE)
    assert f"{PUBLIC_URL}/article/linked" in links
    assert f"{PUBLIC_URL}/tag/news/feed.atom" in links
    assert f"{PUBLIC_URL}/@writer" in links
    assert f"{PUBLIC_URL}/sitemap.xml" in links
    assert f"{PUBLIC_URL}/" in links
    assert all(link.startswith(f"{PUBLIC_URL}/") for link in links), links
    # Mounted under the public URL's path (SCRIPT_NAME), the path is not repeated.
    mounted = client.get("/robots.txt", base_url="http://attacker.example/journal")
    assert f"Sitemap: {PUBLIC_URL}/sitemap.xml\n" in mounted.get_data(as_text=True)


def test_an_article_page_shows_the_stored_html_without_rendering(
    client: Any, make_article: MakeArticle, session: sa.orm.Session, renders: list[str]
) -> None:
    article = make_article(title="Stored", body="Some **bold** text")
    renders.clear()
    html = client.get(f"/article/{article.slug}").get_data(as_text=True)
    assert "<p>Some <strong>bold</strong> text</p>" in html
    assert renders == []


def test_html_an_older_renderer_stored_is_rendered_again_on_read(
    client: Any, make_article: MakeArticle, session: sa.orm.Session, renders: list[str]
) -> None:
    article = make_article(title="Old rules", body="Plain *text*")
    session.execute(
        sa.update(Article)
        .where(Article.id == article.id)
        .values(body_html="<script>alert(1)</script>", body_html_version=RENDERER_VERSION - 1)
    )
    session.commit()
    renders.clear()
    html = client.get(f"/article/{article.slug}").get_data(as_text=True)
    assert "<p>Plain <em>text</em></p>" in html and "<script>alert" not in html
    assert renders == ["Plain *text*"]


def test_drafts_exist_only_for_their_author(
    client: Any, make_user: MakeUser, make_article: MakeArticle, sign_in: Callable
) -> None:
    author = make_user("author")
    draft = make_article(author, title="Secret plans", tags=("hidden",), publish=False)
    for path in [
        "/",
        "/tag/hidden",
        "/feed.atom",
        "/sitemap.xml",
        "/@author",
        "/@author/feed.atom",
    ]:
        assert "Secret plans" not in client.get(path).get_data(as_text=True), path
        assert draft.slug not in client.get(path).get_data(as_text=True), path
    assert client.get(f"/article/{draft.slug}").status_code == 404
    sign_in(make_user())
    assert client.get(f"/article/{draft.slug}").status_code == 404
    sign_in(author)
    page = client.get(f"/article/{draft.slug}").get_data(as_text=True)
    assert "Draft: only you can see this" in page
    assert "Secret plans" in client.get("/drafts").get_data(as_text=True)


def test_atom_feeds_and_sitemap(
    client: Any, make_user: MakeUser, make_article: MakeArticle
) -> None:
    author = make_user("writer")
    make_article(author, title="Feed me", tags=("xml",), body="<b>bold</b> & more")
    for path in ["/feed.atom", "/tag/xml/feed.atom", "/@writer/feed.atom"]:
        response = client.get(path)
        assert response.headers["Content-Type"].startswith("application/atom+xml")
        feed = ET.fromstring(response.data)
        entry = feed.find(f"{ATOM}entry")
        assert entry is not None and entry.findtext(f"{ATOM}title") == "Feed me"
        assert "<b>bold</b>" in (entry.findtext(f"{ATOM}content") or "")
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    locs = [
        el.text or "" for el in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert any(loc.endswith("/article/feed-me") for loc in locs)
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /editor" in robots and "Sitemap: http" in robots
    assert client.get("/@nobody/feed.atom").status_code == 404


@cache
def long_table() -> tuple[str, str]:
    """A 100 KB Markdown table and its HTML: the slowest kind of body to render, and
    the HTML several times the Markdown's size."""
    rows = "".join(f"| {n} | ink | paper | quill |\n" for n in range(5000))
    body = ("| n | a | b | c |\n|---|---|---|---|\n" + rows)[:BODY_MAX]
    return body, render_markdown(body)


def store(session: sa.orm.Session, article: Article, body: str, html: str, version: int) -> None:
    """Give `article` a body and stored HTML directly, as a long article would have."""
    session.execute(
        sa.update(Article)
        .where(Article.id == article.id)
        .values(body=body, body_html=html, body_html_version=version)
    )


def feed_entries(data: bytes) -> list[ET.Element]:
    """The entries of a feed, having checked each is complete without its content."""
    entries = ET.fromstring(data).findall(f"{ATOM}entry")
    for entry in entries:
        assert entry.findtext(f"{ATOM}summary")
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("rel") == "alternate" and link.get("href")
    return entries


def test_a_feed_of_twenty_long_articles_stays_small_and_renders_nothing(
    client: Any,
    make_user: MakeUser,
    make_article: MakeArticle,
    session: sa.orm.Session,
    renders: list[str],
) -> None:
    body, html = long_table()
    author = make_user("long")
    for n in range(20):
        article = make_article(author, title=f"Long {n}", tags=("tables",), body="short")
        store(session, article, body, html, RENDERER_VERSION)
    short = make_article(author, title="Short", tags=("tables",), body="Just *this*.")
    session.commit()
    renders.clear()
    for path in ["/feed.atom", "/tag/tables/feed.atom", "/@long/feed.atom"]:
        response = client.get(path)
        assert response.status_code == 200
        assert len(response.data) < 1_000_000, path
        entries = feed_entries(response.data)
        assert len(entries) == FEED_SIZE
        contents = {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}content") for e in entries}
        assert contents.pop(short.title) == "<p>Just <em>this</em>.</p>\n"
        assert set(contents.values()) == {None}  # each long one: summary and link
    assert renders == []


def test_a_feed_spends_its_content_budget_on_the_newest_entries(
    client: Any, make_article: MakeArticle, session: sa.orm.Session
) -> None:
    # Each just under the entry's cap: together three times the feed's budget.
    html = "<p>" + "x" * (ENTRY_CONTENT_MAX - 20) + "</p>"
    fitting = FEED_CONTENT_MAX // len(escape(html))
    # Short as stored, but four times as long once escaped for XML: past the cap.
    angled = "<p>" + "<" * (ENTRY_CONTENT_MAX // 2) + "</p>"
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(FEED_SIZE):
        article = make_article(title=f"Entry {n:02d}")
        article.published_at = start + timedelta(minutes=n)
        store(session, article, "x", angled if n == 19 else html, RENDERER_VERSION)
    session.commit()
    response = client.get("/feed.atom")
    entries = feed_entries(response.data)
    full = [e.findtext(f"{ATOM}title") for e in entries if e.find(f"{ATOM}content") is not None]
    assert fitting == 8 and full == [f"Entry {n:02d}" for n in range(18, 18 - fitting, -1)]
    assert len(response.data) < FEED_CONTENT_MAX + 64 * 1024


def test_a_feed_renders_html_an_older_renderer_stored(
    client: Any, make_article: MakeArticle, session: sa.orm.Session, renders: list[str]
) -> None:
    article = make_article(title="Old", body="New *rules*")
    store(session, article, "New *rules*", "<script>old</script>", RENDERER_VERSION - 1)
    session.commit()
    renders.clear()
    entries = feed_entries(client.get("/feed.atom").data)
    assert [e.findtext(f"{ATOM}content") for e in entries] == ["<p>New <em>rules</em></p>\n"]
    assert renders == ["New *rules*"]


def test_error_pages_are_in_the_site_style(client: Any) -> None:
    response = client.get("/article/nothing-here")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Not found" in page and 'class="site-header"' in page


def test_security_headers_on_every_page(client: Any, make_article: MakeArticle) -> None:
    article = make_article()
    for path in ["/", f"/article/{article.slug}", "/login", "/missing"]:
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"]


def test_static_files_have_cache_busting_urls(client: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    href = re.search(r'href="(/static/inkwell\.css\?v=[0-9a-f]{12})"', page)
    assert href
    response = client.get(href.group(1))
    response.close()
    assert response.status_code == 200


def test_feed_tab_needs_a_signed_in_reader(
    client: Any, make_user: MakeUser, make_article: MakeArticle, sign_in: Callable
) -> None:
    assert client.get("/feed").status_code == 302
    assert "Your feed" not in client.get("/").get_data(as_text=True)
    reader, author = make_user(), make_user("followed")
    make_article(author, title="From someone I follow")
    make_article(title="From a stranger")
    follow_user(reader, "followed")
    sign_in(reader)
    page = client.get("/feed").get_data(as_text=True)
    assert "From someone I follow" in page and "From a stranger" not in page


def test_every_kind_of_tag_that_can_be_saved_has_a_page_and_a_feed(
    app: Any, client: Any, make_article: MakeArticle
) -> None:
    names = ("c++", "c#", "node.js", "machine learning", "日本語", "snake_case", "a-b")
    article = make_article(title="Many tags", tags=names)
    for name in names:
        with app.test_request_context():
            page, feed = url_for("web.tag", name=name), url_for("web.tag_feed", name=name)
        listed = client.get(page)
        assert listed.status_code == 200, page
        assert "Many tags" in titles(listed.get_data(as_text=True))
        entries = ET.fromstring(client.get(feed).data).findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}title") for e in entries] == [article.title], feed
        # The article's own page links to the same tag page.
        assert f'href="{page}"' in client.get(f"/article/{article.slug}").get_data(as_text=True)
