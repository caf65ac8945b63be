"""What only the API turns into its error envelope: invalid bodies and bad tokens.

Domain errors and HTTP errors under `/api/` are answered by the shared edge
(`inkwell.http`) in the same `{"errors": {...}}` shape.
"""

from __future__ import annotations

from flask import Response, current_app, request
from pydantic import ValidationError

from inkwell.api.tokens import TokenError
from inkwell.http import api_error, envelope

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
    "unstorable": "contains a NUL character or a lone surrogate, which cannot be stored",
}
# A required value sent as null: blank, as the contract words it.
NULL_FOR = frozenset({"string_type", "list_type", "model_type", "model_attributes_type"})


def validation_error_response(error: ValidationError) -> Response:
    """422 with one message per offending field, named by its last key.

    If the route acts on something that is missing or not the caller's, that
    is answered instead (see `route(found_first=)`).
    """
    view = current_app.view_functions.get(request.endpoint or "")
    found_first = getattr(view, "inkwell_found_first", None)
    if found_first is not None:
        found_first(**(request.view_args or {}))
    errors: dict[str, list[str]] = {}
    for problem in error.errors():
        names = [part for part in problem["loc"] if isinstance(part, str)]
        field = names[-1] if names else "body"
        if problem["type"] in NULL_FOR and problem.get("input", ...) is None:
            message = "can't be blank"
        else:
            message = PYDANTIC_MESSAGES.get(problem["type"], "is invalid")
        if message not in errors.setdefault(field, []):
            errors[field].append(message)
    return envelope(errors, 422)


def token_error(error: TokenError) -> Response:
    """401 saying whether the token was missing or unusable."""
    return api_error({"token": [f"is {error.problem}"]}, 401)
