"""The search page, and the description that lets browsers add Inkwell as a search engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from inkwell.models import utcnow
from inkwell.services.errors import Invalid
from inkwell.services.search import ORDERS, QUERY_MAX, Order, Search, SearchResults, search
from inkwell.web import bp
from inkwell.web.session import signed_in_user

PAGE_SIZE = 20


@bp.get("/search")
def search_page() -> tuple[str, int]:
    """Results for `q`, best match or newest first, narrowed by tags and an author.

    Pages after the first carry `until`, the moment the first was read: articles
    published since then are left out, so none moves a result onto a page the
    reader already saw. A new search starts from now.
    """
    text = request.args.get("q", "").strip()
    tags = tuple(dict.fromkeys(name for name in request.args.getlist("tag") if name))
    author = request.args.get("author") or None
    order: Order = "newest" if request.args.get("order") == "newest" else ORDERS[0]
    offset = _whole(request.args.get("offset"))
    # The first page reads everything (filtering by time would join every match
    # to its article) and hands the moment before it was read to the pages
    # after it: only an article committed within that instant could shift them.
    since_first = _moment(request.args.get("until"))
    until = since_first or utcnow()
    context: dict[str, Any] = {
        "q": text,
        "tags": tags,
        "author": author,
        "order": order,
        "offset": offset,
        "until": until,
        "found": None,
        "problem": None,
        "query_max": QUERY_MAX,
        "page_size": PAGE_SIZE,
    }
    if not text:
        return render_template("web/search.html", **context), 200
    asked = Search(text, tags, author, order, PAGE_SIZE, offset, since_first)
    try:
        context["found"] = _search(asked)
    except Invalid as refused:
        context["problem"] = " ".join(
            f"{'Your search' if field == 'q' else field.capitalize()} {message}."
            for field, messages in refused.errors.items()
            for message in messages
        )
        return render_template("web/search.html", **context), 422
    return render_template("web/search.html", **context), 200


def _search(asked: Search) -> SearchResults:
    language = current_app.config["INKWELL_SEARCH_LANGUAGE"]
    return search(signed_in_user(), asked, language=language, facets=True)


def _whole(raw: str | None) -> int:
    """A page position from a URL; anything else is the first page."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else 0


def _moment(raw: str | None) -> datetime | None:
    """`until` from a URL (microseconds since the epoch); None if it is not one."""
    if not raw or not raw.isdigit() or len(raw) > 17:
        return None
    return datetime.fromtimestamp(int(raw) / 1_000_000, UTC)


@bp.app_template_global()
def search_url(**changes: Any) -> str:
    """This search's URL with `changes` (None removes a parameter); a change of
    anything but the page starts from the first page, afresh."""
    values: dict[str, Any] = {
        "q": request.args.get("q", "").strip(),
        "tag": request.args.getlist("tag"),
        "author": request.args.get("author"),
        "order": request.args.get("order"),
        "offset": request.args.get("offset"),
        "until": request.args.get("until"),
    }
    if "offset" not in changes:
        values["offset"] = values["until"] = None
    values |= changes
    return url_for("web.search_page", **{key: value for key, value in values.items() if value})


@bp.app_template_filter("micros")
def micros(moment: datetime) -> int:
    """A moment as `until` carries it in a URL."""
    return int(moment.timestamp() * 1_000_000)


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    """An OpenSearch description: browsers offer to add the site's search."""
    xml = render_template("web/opensearch.xml")
    return Response(xml, mimetype="application/opensearchdescription+xml")
