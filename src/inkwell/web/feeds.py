"""For machines: Atom feeds, the sitemap and robots.txt. Drafts never appear."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, render_template
from markupsafe import Markup, escape

from inkwell.http import for_readers
from inkwell.models import utcnow
from inkwell.services.listing import ArticleFilters, latest_articles, sitemap_entries
from inkwell.services.profiles import get_profile
from inkwell.services.results import CardView
from inkwell.web import bp
from inkwell.web.links import external_url

FEED_SIZE = 20

ENTRY_CONTENT_MAX = 64 * 1024
"""Most bytes of content (the article's HTML, escaped for XML) one feed entry
carries. An article's HTML is a few kilobytes as a rule; a longer one is read
on its page, and its entry carries its summary and link instead. Without a
cap, one 100 KB Markdown table became a megabyte of escaped HTML in every
poll of every feed it appeared in."""

FEED_CONTENT_MAX = 512 * 1024
"""Most bytes of content all of a feed's entries carry together; entries past
it carry their summary and link only. Feed readers poll every few minutes,
anonymously, and twenty long articles made a 22.8 MB answer. Summaries and
titles are bounded by their columns, so with this budget a feed stays under a
megabyte whatever its articles hold."""


@bp.app_template_filter("atom_time")
def atom_time(moment: datetime | None) -> str:
    """RFC 3339 in UTC, as Atom and sitemaps want it (now, for an empty feed)."""
    return (moment or utcnow()).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


ATOM = "application/atom+xml; charset=utf-8"


def _atom(title: str, filters: ArticleFilters, self_url: str, page_url: str) -> Response:
    xml = render_template(
        "web/feed.atom.xml",
        title=title,
        entries=_entries(filters),
        self_url=self_url,
        page_url=page_url,
    )
    return Response(xml, mimetype=ATOM)


def _entries(filters: ArticleFilters) -> list[tuple[CardView, Markup | None]]:
    """Each entry with its escaped content, or None where it would pass a cap (the
    entry then carries its summary and link, which valid Atom allows)."""
    entries: list[tuple[CardView, Markup | None]] = []
    room = FEED_CONTENT_MAX
    for entry in latest_articles(filters, limit=FEED_SIZE, html_max=ENTRY_CONTENT_MAX):
        content = None
        if entry.html is not None:
            escaped = escape(entry.html)
            size = len(escaped.encode())
            if size <= min(ENTRY_CONTENT_MAX, room):
                content, room = escaped, room - size
        entries.append((entry.view, content))
    return entries


@bp.get("/feed.atom")
@for_readers
def site_feed() -> Response:
    """The newest articles on the site."""
    return _atom(
        "Inkwell",
        ArticleFilters(),
        external_url("web.site_feed"),
        external_url("web.home"),
    )


@bp.get("/tag/<name>/feed.atom")
@for_readers
def tag_feed(name: str) -> Response:
    """The newest articles with one tag."""
    return _atom(
        f"Inkwell: {name}",
        ArticleFilters(tag=name),
        external_url("web.tag_feed", name=name),
        external_url("web.tag", name=name),
    )


@bp.get("/@<username>/feed.atom")
@for_readers
def author_feed(username: str) -> Response:
    """The newest articles by one author."""
    person = get_profile(None, username).user
    return _atom(
        f"Inkwell: {person.username}",
        ArticleFilters(author=person.username),
        external_url("web.author_feed", username=person.username),
        external_url("web.profile", username=person.username),
    )


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every published article (the newest 50,000, the most one sitemap may list)."""
    xml = render_template("web/sitemap.xml", entries=sitemap_entries())
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawl the reading pages, not the forms."""
    lines = [
        "User-agent: *",
        "Disallow: /editor",
        "Disallow: /settings",
        "Disallow: /drafts",
        "Disallow: /login",
        "Disallow: /register",
        "Disallow: /api/",
        f"Sitemap: {external_url('web.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
