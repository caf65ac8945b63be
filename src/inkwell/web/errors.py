"""Error pages in the site's style, and the one HTTP error handler that chooses
between them and the API's JSON envelope by path."""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

import sqlalchemy as sa
from flask import Flask, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from inkwell.api.errors import envelope, http_error_envelope
from inkwell.extensions import db
from inkwell.services.errors import Forbidden, InkwellError, NotFound

logger = logging.getLogger("inkwell")

MESSAGES = {
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


def error_page(status: int, detail: str | None = None) -> tuple[str, int]:
    """The site's page for `status`."""
    title, message = MESSAGES.get(status, ("Error", "Something went wrong."))
    return render_template(
        "error.html", status=status, title=title, message=detail or message
    ), status


def register_error_pages(app: Flask) -> None:
    """HTML error pages for the site; the API answers with its own envelope."""

    @app.errorhandler(InkwellError)
    def domain_error(error: InkwellError) -> Any:
        if isinstance(error, NotFound):
            return error_page(404)
        if isinstance(error, Forbidden):
            return error_page(403)
        return error_page(400, "; ".join(f"{k} {', '.join(v)}" for k, v in error.errors.items()))

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def database_unavailable(error: sa.exc.DBAPIError) -> Any:
        """The database is down or restarting: a clear 503, and the pool starts afresh."""
        logger.error("database unavailable: %s", str(error.orig).strip().splitlines()[0])
        with suppress(sa.exc.DBAPIError):  # the connection may be gone already
            db.session.rollback()
        if request.path.startswith("/api/"):
            response = envelope({"database": ["is unavailable, try again shortly"]}, 503)
        else:
            page, _status = error_page(503)
            response = make_response(page, 503)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(sa.exc.DataError)
    def unstorable_value(error: sa.exc.DataError) -> Any:
        """The database refused a value from the request (a NUL in a path, say)."""
        with suppress(sa.exc.DBAPIError):
            db.session.rollback()
        if request.path.startswith("/api/"):
            return envelope({"request": ["contains a value that cannot be stored"]}, 422)
        return error_page(400, "That request contains characters Inkwell cannot store.")

    @app.errorhandler(CSRFError)
    def expired_form(error: CSRFError) -> Any:
        return error_page(400, "The form expired. Please go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code is None:
            return error
        if request.path.startswith("/api/"):
            return http_error_envelope(error)
        return error_page(error.code)
