"""The edge every interface shares: one unit of work per request, one error handler.

A request's unit of work begins before any other hook (so the SQLite lock it
declares is taken at its first statement) and ends after the view: commit
below status 400, roll back otherwise. Errors that escape a view, whoever
raised them, are answered here once: with the API's JSON envelope under
`/api/`, with the site's error page everywhere else.

With read replicas, each request is routed here (`inkwell.connections`
chooses per read). Who must see which write: a browser carries the
position of its last write in its signed session cookie; an API caller,
named by its token (`reads_for`), has it kept in Redis, or without Redis
reads from the primary. A request whose replica fails under it is handled
again from the start on the primary, once, provided it has committed
nothing: a standby going away costs a reader time, never an error.

The pages every signed-out reader gets alike (views marked `for_readers`)
are kept in the response cache (`inkwell.scaling.cache`) under the content
version, sent with an `ETag`, and answered 304 when the reader has them
already. Anyone signed in, by token or by site session, is never given a
kept page, and theirs is never kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    session,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from inkwell import dialects
from inkwell.connections import Route, current_route, declares_writes, routing
from inkwell.extensions import db
from inkwell.scaling.cache import Page, ResponseCache, content_version
from inkwell.scaling.replicas import Replicas, positions_of, replicas_of
from inkwell.scaling.views import counter_of
from inkwell.services.errors import (
    Conflict,
    Forbidden,
    InkwellError,
    Invalid,
    NotFound,
    Suspended,
    Unauthorized,
)
from inkwell.transactions import begin_unit, end_unit

logger = logging.getLogger("inkwell")

View = TypeVar("View", bound=Callable[..., Any])

API_STATUS: dict[type[InkwellError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    Suspended: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
}

API_MESSAGES = {
    400: ("body", "is not valid JSON"),
    404: ("path", "not found"),
    405: ("method", "not allowed"),
    413: ("body", "is too large"),
    429: ("rate", "limit exceeded, try again later"),
    500: ("server", "internal error"),
}

PAGE_MESSAGES = {
    400: ("Bad request", "That request could not be understood."),
    401: ("Please sign in", "You need to be signed in for that."),
    403: ("Not yours", "You can read this, but only its owner can change it."),
    404: ("Not found", "There is nothing at this address. It may have moved or been deleted."),
    405: ("Not allowed", "That is not something this page can do."),
    413: ("Too large", "That is more text than Inkwell accepts at once."),
    429: ("Slow down", "Too many attempts. Please wait a little and try again."),
    500: ("Something went wrong", "Inkwell hit an error. It has been logged; please try again."),
    503: (
        "Back in a moment",
        "Inkwell cannot reach its database right now. Please try again shortly.",
    ),
}

RETRY_AFTER_SECONDS = "5"
# The session cookie's entry for the position of the browser's last write.
WRITTEN = "written_at"

# What the API and the site say when the database could not answer, by why.
DATABASE_TROUBLE: dict[str, tuple[str, str | None]] = {
    "busy": ("is busy, try again shortly", None),
    "unavailable": ("is unavailable, try again shortly", None),
    "timed out": (
        "took longer than the server allows, try again shortly",
        "That took longer than Inkwell allows. Please try again shortly.",
    ),
}


def writes(view: View) -> View:
    """Declare that `view` writes, so its unit of work takes SQLite's write lock.

    Views that only read (most of them) declare nothing and never wait for
    writers. The declaration is the view's, never the HTTP method's: signing
    in is a POST that only reads.
    """
    view.inkwell_writes = True  # type: ignore[attr-defined]
    return view


def for_readers(view: View) -> View:
    """Declare that `view` answers every signed-out reader alike (GET), so its page
    may be kept for the next one and revalidated with an ETag.

    The view must show nothing that depends on the request but its address
    (no CSRF token, no flashed message: a signed-out page has neither).
    """
    view.inkwell_for_readers = True  # type: ignore[attr-defined]
    return view


def count_view(article_id: int, *, author_id: int, viewer_id: int | None) -> None:
    """Count this request, once it has succeeded, as a view of the article by whoever
    asks (`inkwell.scaling.views`); an author reading their own article is not counted."""
    if viewer_id != author_id:
        g.inkwell_viewed = article_id
        g.inkwell_viewer = viewer_id


def _note_view(response: Response) -> Response:
    """Hand a successful view to the counter: a signed-in reader is told by their
    account, anyone else by their address and user agent (hashed there, never kept)."""
    article_id, viewer = g.pop(VIEWED, None), g.pop(VIEWER, None)
    counter = counter_of(current_app)
    if article_id is None or counter is None or request.method != "GET":
        return response
    if response.status_code in (200, 304):
        identity = f"account:{viewer}" if viewer else f"{request.remote_addr}\n{request.user_agent}"
        counter.see(article_id, identity)
    return response


def envelope(errors: dict[str, list[str]], status: int) -> Response:
    """The API's error body with its status."""
    response = jsonify(errors=errors)
    response.status_code = status
    return response


def api_error(errors: dict[str, list[str]], status: int) -> Response:
    """The envelope as an error answer: a 401 says how to authenticate."""
    response = envelope(errors, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Token"
    return response


def error_page(status: int, detail: str | None = None) -> Response:
    """The site's page for `status`."""
    title, message = PAGE_MESSAGES.get(status, ("Error", "Something went wrong."))
    page = render_template("error.html", status=status, title=title, message=detail or message)
    response = current_app.make_response(page)
    response.status_code = status
    return response


def is_api_request() -> bool:
    """Whether the request is the API's, which answers errors in JSON."""
    return request.path.startswith("/api/")


def configure_edge(app: Flask) -> None:
    """Answer `OPTIONS` first; begin and end each request's unit of work, and answer
    every error."""
    app.before_request(_answer_options)
    app.before_request(_refuse_cut_short_bodies)
    app.before_request(_begin_request_unit)
    replicas = replicas_of(app)
    if replicas is not None:
        app.full_dispatch_request = _routed(app, replicas)  # type: ignore[method-assign]
        app.after_request(_remember_written_position)  # after the commit: hooks run last first
    app.after_request(_note_view)  # after the unit ends: hooks run last first
    app.after_request(_end_request_unit)
    app.teardown_request(_forget_request_unit)
    app.register_error_handler(InkwellError, _domain_error)
    app.register_error_handler(sa.exc.OperationalError, _database_unavailable)
    app.register_error_handler(sa.exc.InterfaceError, _database_unavailable)
    app.register_error_handler(sa.exc.DataError, _unstorable_value)
    app.register_error_handler(CSRFError, _expired_form)
    app.register_error_handler(HTTPException, _http_error)


# What a signed-out browser's session cookie may hold (Flask-WTF's token and
# Flask-Login's bookkeeping, the replica position of a sign-out): nothing a page shows.
READERS_SESSION_KEYS = frozenset({"csrf_token", "_fresh", "_id", "_permanent", WRITTEN})
CACHE_KEY = "inkwell_page_key"
CACHE_HIT = "inkwell_page_hit"
VIEWED = "inkwell_viewed"
VIEWER = "inkwell_viewer"


def configure_reader_cache(app: Flask, *, keep: bool, redis_url: str | None, max_age: int) -> None:
    """Keep signed-out readers' pages (when `keep`: in Redis at `redis_url`, else in
    this process), and send them with an ETag and `max_age`.

    Called after every other hook is added: the cache answers after the rate
    limits and the unit's start, and keeps what the view made before the other
    hooks add their headers (CORS and the rest differ by request, and are added
    to kept pages as to fresh ones)."""
    if keep:
        app.extensions["inkwell.response_cache"] = ResponseCache(redis_url)
    app.extensions["inkwell.cache_max_age"] = max_age
    app.before_request(_answer_from_cache)
    app.after_request(_share_with_readers)
    app.teardown_request(lambda _error: _forget_page())


def _for_readers_view() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method in ("GET", "HEAD") and getattr(view, "inkwell_for_readers", False)


def _signed_out() -> bool:
    """Whether the caller is a signed-out reader, told without the database: no token,
    and (for the site) no remember-me cookie and a session naming nobody, with no
    message to flash."""
    if "Authorization" in request.headers:
        return False
    if is_api_request():
        return True
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    return set(session.keys()) <= READERS_SESSION_KEYS


def _answer_from_cache() -> Response | None:
    """The page kept for a signed-out reader at this address and content version."""
    _forget_page()
    cache: ResponseCache | None = current_app.extensions.get("inkwell.response_cache")
    if cache is None or not _for_readers_view() or not _signed_out():
        return None
    version = content_version(db.session)
    if version is None:
        return None
    address = f"{request.scheme}://{request.host}{request.root_path}{request.path}"
    key = cache.key(version, f"{address}?{request.query_string.decode('latin-1')}")
    page = cache.get(key)
    g.inkwell_page_key = key
    g.inkwell_page_outcome = "miss" if page is None else "hit"  # counted in /metrics
    if page is None:
        return None
    g.inkwell_page_hit = True
    if page.viewed is not None:
        g.inkwell_viewed = page.viewed  # a kept article page is a view like a fresh one
    response = Response(page.body, content_type=page.content_type)
    response.set_etag(page.etag)
    return response


def _share_with_readers(response: Response) -> Response:
    """Keep a signed-out reader's page, and send it with an ETag (304 if the reader
    has it) and the configured `Cache-Control`; a signed-in caller's is private."""
    key, hit = g.pop(CACHE_KEY, None), g.pop(CACHE_HIT, False)
    if not _for_readers_view():
        return response
    response.vary.add("Authorization" if is_api_request() else "Cookie")
    if not _signed_out():
        response.cache_control.private = True
        response.cache_control.no_store = True
        return response
    if response.status_code != 200 or session.modified or "Set-Cookie" in response.headers:
        return response
    if not response.get_etag()[0]:
        response.add_etag()
    cache: ResponseCache | None = current_app.extensions.get("inkwell.response_cache")
    if key is not None and not hit and cache is not None:
        etag = response.get_etag()[0] or ""
        page = Page(response.content_type or "", etag, response.get_data(), g.get(VIEWED))
        cache.put(key, page)
    max_age: int = current_app.extensions["inkwell.cache_max_age"]
    if max_age:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
        response.cache_control.must_revalidate = True
    else:
        response.cache_control.no_cache = True
    response.make_conditional(request)  # 304 without a body if the reader has it
    return response


def _forget_page() -> None:
    g.pop(CACHE_KEY, None)
    g.pop(CACHE_HIT, None)
    g.pop("inkwell_page_outcome", None)


def _answer_options() -> Response | None:
    """Answer `OPTIONS` before any other hook: before authentication, rate limits,
    body parsing and the unit of work.

    Browsers send it, without credentials or a body, before every
    cross-origin call that carries a token (a CORS preflight); it asks what
    a route allows, which never depends on who asks. Flask's own answer
    would only come after the hooks, and the API's authentication hook
    would refuse it with 401. The CORS headers, for allowed origins only,
    are added to this answer like to any other.
    """
    automatic = getattr(request.url_rule, "provide_automatic_options", False)
    if request.method != "OPTIONS" or not automatic:
        return None
    return current_app.make_default_options_response()


def _refuse_cut_short_bodies() -> None:
    """413 for a body sent without a length (chunked) that reaches the size limit.

    Werkzeug stops such a stream at the limit without saying so, and the part
    read would pass for the whole body: a JSON body, or a form whose fields
    would be saved cut short. A body with a length over the limit is refused
    by Werkzeug itself. The body read here is kept for the view to parse.
    """
    limit = request.max_content_length
    streamed = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if streamed and limit is not None and len(request.get_data(cache=True)) >= limit:
        abort(413)


def _begin_request_unit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    g.inkwell_unit = begin_unit(writes=getattr(view, "inkwell_writes", False))


def _end_request_unit(response: Response) -> Response:
    """Commit if `response` succeeded, else roll back.

    This runs in an `after_request` hook, outside the view, where Flask would
    turn any exception into a bare 500. A commit the database refuses (it
    went away between the last flush and the commit, say) goes through the
    error handlers instead, so the client gets the same answer (a 503 while
    the database is down) as when the view itself hit the failure.
    """
    token = g.pop("inkwell_unit", None)
    if token is None:
        return response
    try:
        end_unit(token, commit=response.status_code < 400)
    except sa.exc.SQLAlchemyError as error:
        return current_app.make_response(current_app.handle_user_exception(error))
    return response


def _forget_request_unit(_error: BaseException | None) -> None:
    """Roll back a unit whose request ended in an unhandled exception."""
    token = g.pop("inkwell_unit", None)
    if token is not None:
        with suppress(sa.exc.DBAPIError):  # the connection may be gone already
            end_unit(token, commit=False)


class ReadAgain(Exception):
    """The replica a request was reading from failed: handle it again on the primary."""


def _routed(app: Flask, replicas: Replicas) -> Callable[[], Response]:
    """`app.full_dispatch_request`, its reads routed among `replicas`, and handled again
    on the primary if the replica it read from fails."""
    dispatch = app.full_dispatch_request

    def full_dispatch_request() -> Response:
        replicas.watch()
        before = set(g)
        with routing(replicas) as route:
            if app.config["SESSION_COOKIE_NAME"] in request.cookies and not is_api_request():
                route.needs(session.get(WRITTEN))
            try:
                return dispatch()
            except ReadAgain:
                _forget_request_unit(None)
                for name in set(g) - before:  # what the first attempt learnt, such as who asks
                    g.pop(name)
                route.pin()
                return dispatch()

    return full_dispatch_request


def reads_for(account: int) -> None:
    """Route this API request's reads so that `account` sees its own latest write, and
    remember any write the request commits for it.

    Called with the account a token names, before it is looked up (the
    account may have been created a moment ago), and for the account a
    token is issued to (registration, sign-in).
    """
    route = current_route()
    if route is None:
        return
    reader = f"account:{account}"
    route.readers.add(reader)
    positions = positions_of(current_app)
    if positions is None:
        route.pin()
    else:
        route.needs(positions.recall(reader))


def _remember_written_position(response: Response) -> Response:
    route = current_route()
    if route is None or route.written is None:
        return response
    if not is_api_request():
        session[WRITTEN] = route.written
        return response
    positions = positions_of(current_app)
    if positions is not None and route.readers:
        positions.remember(route.readers, route.written)
    return response


def _failed_replica(route: Route | None, error: sa.exc.DBAPIError) -> bool:
    """Whether `error` is the replica this request reads from going away (then marked down)."""
    if route is None or route.replica is None or declares_writes():
        return False
    if _trouble(error) != "unavailable":
        return False  # a statement cut off would be as slow on the primary
    route.replica.mark_down(dialects.driver_message(error))
    return True


def _domain_error(error: InkwellError) -> Response:
    if is_api_request():
        return api_error(error.errors, API_STATUS.get(type(error), 422))
    if isinstance(error, NotFound):
        return error_page(404)
    if isinstance(error, Forbidden):
        return error_page(
            403, None if error.reason == "forbidden" else error.reason.capitalize() + "."
        )
    return error_page(400, "; ".join(f"{k} {', '.join(v)}" for k, v in error.errors.items()))


def _database_unavailable(error: sa.exc.DBAPIError) -> Response:
    """The database is down, restarting or busy, or cut off a statement that ran past
    INKWELL_DB_STATEMENT_TIMEOUT: a clear 503.

    After a lost connection SQLAlchemy starts the pool afresh; a statement
    cut off leaves its connection healthy, and the rollback returns it to the
    pool ready for the next request.
    """
    if _failed_replica(current_route(), error):
        raise ReadAgain from error
    state = _trouble(error)
    logger.error("database %s: %s", state, dialects.driver_message(error))
    with suppress(sa.exc.DBAPIError):  # the connection may be gone already
        db.session.rollback()
    said, page = DATABASE_TROUBLE[state]
    response = envelope({"database": [said]}, 503) if is_api_request() else error_page(503, page)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def _trouble(error: sa.exc.DBAPIError) -> str:
    if dialects.is_statement_timeout(error):
        return "timed out"
    return "busy" if dialects.is_busy(error) else "unavailable"


def _unstorable_value(error: sa.exc.DataError) -> Response:
    """The database refused a value from the request (a NUL in a path, say)."""
    with suppress(sa.exc.DBAPIError):
        db.session.rollback()
    if is_api_request():
        return envelope({"request": ["contains a value that cannot be stored"]}, 422)
    return error_page(400, "That request contains characters Inkwell cannot store.")


def _expired_form(_error: CSRFError) -> Response:
    return error_page(400, "The form expired. Please go back, reload the page and try again.")


def _http_error(error: HTTPException) -> Response | HTTPException:
    if error.code is None:
        return error
    if is_api_request():
        field, message = API_MESSAGES.get(error.code, ("request", error.name.lower()))
        response = api_error({field: [message]}, error.code)
    else:
        response = error_page(error.code)
    headers = dict(error.get_headers())
    for header in ("Allow", "Retry-After"):
        if header in headers:
            response.headers[header] = headers[header]
    return response
