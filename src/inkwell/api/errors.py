"""Every API failure, whatever raised it, answers with `{"errors": {...}}`.

Domain errors map to their status once, here; pydantic's validation errors
become field messages; HTTP errors raised by Flask, Werkzeug or Flask-Limiter
(unknown route, wrong method, body too large, rate limit) get the same
envelope when the path is under /api.
"""

from __future__ import annotations

from flask import Response, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from inkwell.api.tokens import TokenError
from inkwell.services.errors import (
    Conflict,
    Forbidden,
    InkwellError,
    Invalid,
    NotFound,
    Unauthorized,
)

STATUS: dict[type[InkwellError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
}

HTTP_ERRORS = {
    400: ("body", "is not valid JSON"),
    404: ("path", "not found"),
    405: ("method", "not allowed"),
    413: ("body", "is too large"),
    429: ("rate", "limit exceeded, try again later"),
    500: ("server", "internal error"),
}

PYDANTIC_MESSAGES = {
    "missing": "can't be blank",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "greater_than_equal": "is too small",
    "less_than_equal": "is too large",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "json_invalid": "is not valid JSON",
}


def envelope(errors: dict[str, list[str]], status: int) -> Response:
    """The API's error body with its status."""
    response = jsonify(errors=errors)
    response.status_code = status
    return response


def validation_error_response(error: ValidationError) -> Response:
    """422 with one message per offending field, named by its last key."""
    errors: dict[str, list[str]] = {}
    for problem in error.errors():
        names = [part for part in problem["loc"] if isinstance(part, str)]
        field = names[-1] if names else "body"
        message = PYDANTIC_MESSAGES.get(problem["type"], "is invalid")
        if message not in errors.setdefault(field, []):
            errors[field].append(message)
    return envelope(errors, 422)


def domain_error(error: InkwellError) -> Response:
    """A service's error, with the status its kind stands for."""
    return envelope(error.errors, STATUS.get(type(error), 422))


def token_error(error: TokenError) -> Response:
    """401 saying whether the token was missing or unusable."""
    response = envelope({"token": [f"is {error.problem}"]}, 401)
    response.headers["WWW-Authenticate"] = "Token"
    return response


def http_error_envelope(error: HTTPException) -> Response:
    """An HTTP error (unknown route, wrong method, too large, rate limited) as the envelope."""
    code = error.code or 500
    field, message = HTTP_ERRORS.get(code, ("request", error.name.lower()))
    response = envelope({field: [message]}, code)
    headers = dict(error.get_headers())
    for header in ("Allow", "Retry-After"):
        if header in headers:
            response.headers[header] = headers[header]
    return response
