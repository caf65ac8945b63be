"""The API blueprint: authentication before anything else.

Each route declares its authentication (`required`, `optional` or `none`)
and whether it writes through `route()`, which documents the first in
OpenAPI and records both for the hooks: the shared edge (`inkwell.http`)
opens the request's unit of work as the route declares, and this
blueprint's `before_request` resolves the token, so 401 comes before every
other check, as the contract orders them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from flask import current_app, g, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag

from inkwell.api.errors import token_error
from inkwell.api.schemas import ErrorResponse
from inkwell.api.tokens import TokenError, user_from_header
from inkwell.http import writes as declare_writes
from inkwell.models import User

Auth = Literal["required", "optional", "none"]

bp = APIBlueprint("api", __name__, url_prefix="/api")
bp.register_error_handler(TokenError, token_error)


def route(
    method: str,
    rule: str,
    *,
    auth: Auth,
    writes: bool = False,
    tag: str,
    summary: str,
    responses: dict[int, Any],
    errors: tuple[int, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on the API blueprint with its authentication and responses.

    `writes` is declared, not guessed from the method: signing in is a POST
    that only reads, and must not queue behind SQLite's writers.
    """
    documented: dict[int, Any] = dict(responses)
    codes = set(errors) | ({401} if auth != "none" else set()) | {422}
    for code in sorted(codes):
        documented[code] = ErrorResponse
    security: list[dict[str, list[str]]] | None = [{"Token": []}] if auth != "none" else None

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        view.inkwell_auth = auth  # type: ignore[attr-defined]
        if writes:
            declare_writes(view)
        add = getattr(bp, method)
        registered: Callable[..., Any] = add(
            rule,
            tags=[Tag(name=tag)],
            summary=summary,
            responses=documented,
            security=security,
        )(view)
        return registered

    return register


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
