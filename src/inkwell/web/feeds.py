"""For machines: Atom feeds, the sitemap and robots.txt. Drafts never appear."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, render_template, url_for

from inkwell.markdown import render_markdown
from inkwell.models import utcnow
from inkwell.services.listing import ArticleFilters, latest_articles, sitemap_entries
from inkwell.services.profiles import get_profile
from inkwell.web import bp

FEED_SIZE = 20


@bp.app_template_filter("atom_time")
def atom_time(moment: datetime | None) -> str:
    """RFC 3339 in UTC, as Atom and sitemaps want it (now, for an empty feed)."""
    return (moment or utcnow()).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


ATOM = "application/atom+xml; charset=utf-8"


def _atom(title: str, filters: ArticleFilters, self_url: str, page_url: str) -> Response:
    views = latest_articles(filters, limit=FEED_SIZE)
    xml = render_template(
        "web/feed.atom.xml",
        title=title,
        entries=[(view, render_markdown(view.article.body)) for view in views],
        self_url=self_url,
        page_url=page_url,
    )
    return Response(xml, mimetype=ATOM)


@bp.get("/feed.atom")
def site_feed() -> Response:
    """The newest articles on the site."""
    return _atom(
        "Inkwell",
        ArticleFilters(),
        url_for("web.site_feed", _external=True),
        url_for("web.home", _external=True),
    )


@bp.get("/tag/<name>/feed.atom")
def tag_feed(name: str) -> Response:
    """The newest articles with one tag."""
    return _atom(
        f"Inkwell: {name}",
        ArticleFilters(tag=name),
        url_for("web.tag_feed", name=name, _external=True),
        url_for("web.tag", name=name, _external=True),
    )


@bp.get("/@<username>/feed.atom")
def author_feed(username: str) -> Response:
    """The newest articles by one author."""
    person = get_profile(None, username).user
    return _atom(
        f"Inkwell: {person.username}",
        ArticleFilters(author=person.username),
        url_for("web.author_feed", username=person.username, _external=True),
        url_for("web.profile", username=person.username, _external=True),
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
        f"Sitemap: {url_for('web.sitemap', _external=True)}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
