"""The API blueprint: authentication before anything else.

Each route declares its authentication (`required`, `optional` or `none`)
and whether it writes through `route()`, which documents the first in
OpenAPI and records both for the hooks: the shared edge (`inkwell.http`)
opens the request's unit of work as the route declares, and this
blueprint's `before_request` resolves the token, so 401 comes before every
other check, as the contract orders them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

from flask import abort, current_app, g, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from werkzeug.routing import BaseConverter

from inkwell.api.errors import token_error
from inkwell.api.schemas import ErrorResponse
from inkwell.api.tokens import TokenError, user_from_header
from inkwell.http import envelope, for_readers
from inkwell.http import writes as declare_writes
from inkwell.models import User
from inkwell.services.slugs import RESERVED

Auth = Literal["required", "optional", "none"]
# An empty requirement makes the token optional in OpenAPI.
SECURITY: dict[Auth, list[dict[str, list[str]]] | None] = {
    "required": [{"Token": []}],
    "optional": [{"Token": []}, {}],
    "none": None,
}

# Answered by the HTTP server before the app sees the request, so in its own format.
REQUEST_LINE_MAX = 8190
REQUEST_LINE_TOO_LONG = {
    "description": (
        f"The request line (method, path and query) is longer than {REQUEST_LINE_MAX:,} "
        "bytes. The HTTP server in front of Inkwell (Gunicorn, or Nginx before it) refuses "
        "it before Inkwell sees it, with its own HTML page rather than the error envelope."
    ),
    "content": {"text/html": {"schema": {"type": "string"}}},
}

bp = APIBlueprint("api", __name__, url_prefix="/api")
bp.register_error_handler(TokenError, token_error)


def route(
    method: str,
    rule: str,
    *,
    auth: Auth,
    writes: bool = False,
    readers_alike: bool = False,
    tag: str,
    summary: str,
    responses: dict[int, Any],
    errors: tuple[int, ...] = (),
    found_first: Callable[..., object] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on the API blueprint with its authentication and responses.

    `writes` is declared, not guessed from the method: signing in is a POST
    that only reads, and must not queue behind SQLite's writers.
    `found_first`, called with the path's values, raises the service's
    NotFound or Forbidden for what the route acts on. A body is validated
    before the view runs, so a body that fails validation calls it first:
    404 and 403 then precede 422, as the contract orders them, at no cost to
    requests whose body is valid. `readers_alike` says every caller without a
    token gets the same answer, which the edge may then keep (`http.for_readers`).
    """

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        reads_body = "body" in inspect.signature(view).parameters
        documented: dict[int, Any] = dict(responses)
        codes = set(errors) | {422}
        codes |= {401} if auth != "none" else set()
        codes |= {400, 413} if reads_body else set()  # malformed JSON, too large
        for code in sorted(codes):
            documented[code] = ErrorResponse
        documented[414] = dict(REQUEST_LINE_TOO_LONG)
        view.inkwell_auth = auth  # type: ignore[attr-defined]
        view.inkwell_reads_body = reads_body  # type: ignore[attr-defined]
        view.inkwell_found_first = found_first  # type: ignore[attr-defined]
        if writes:
            declare_writes(view)
        if readers_alike:
            for_readers(view)
        add = getattr(bp, method)
        registered: Callable[..., Any] = add(
            rule,
            tags=[Tag(name=tag)],
            summary=summary,
            responses=documented,
            security=SECURITY[auth],
            # Front ends add trailing slashes (`POST /api/articles/`); a redirect
            # would drop the body and fail the browser's preflight.
            strict_slashes=False,
        )(view)
        return registered

    return register


class SlugConverter(BaseConverter):
    """An article's slug in a path: any segment but the reserved names.

    `/api/articles/feed` is then only the feed, so its 405 names the feed's
    methods, not those of `/api/articles/<slug>` too.
    """

    part_isolating = True
    regex = "(?!(?:{})$)[^/]+".format("|".join(sorted(RESERVED)))


def viewer() -> User | None:
    """The signed-in user, if the request carried a valid token."""
    user: User | None = g.get("api_user")
    return user


def signed_in() -> User:
    """The signed-in user of a route declared `auth="required"`."""
    user = viewer()
    if user is None:  # the before_request hook makes this unreachable
        raise TokenError("missing")
    return user


@bp.before_request
def authenticate() -> None:
    """Resolve the token first, so that 401 precedes validation and lookups."""
    g.api_user = None
    view = current_app.view_functions.get(request.endpoint or "")
    auth: Auth = getattr(view, "inkwell_auth", "none")
    if auth == "none":
        return
    header = request.headers.get("Authorization")
    if auth == "optional" and not header:
        return
    g.api_user = user_from_header(header)


@bp.before_request
def read_json_body() -> None:
    """Parse the JSON body of a route that takes one, after authentication.

    Only routes that take a body read it: follow and favorite are posted
    with no body, or a stray one, and must not fail on it. Malformed JSON is
    400, raised here so the edge answers it; left to the validation layer,
    it would read as "must be an object".
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "inkwell_reads_body", False) or not request.is_json:
        return
    if request.content_length == 0:
        return
    if not isinstance(request.get_json(), dict):
        abort(envelope({"body": ["must be an object"]}, 422))
