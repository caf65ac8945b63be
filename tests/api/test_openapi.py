"""The served OpenAPI document: valid 3.1, complete, and what the API really does."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inkwell.models import User

ENDPOINTS = {
    ("post", "/api/users/login", False),
    ("post", "/api/users", False),
    ("get", "/api/user", True),
    ("put", "/api/user", True),
    ("get", "/api/profiles/{username}", True),
    ("post", "/api/profiles/{username}/follow", True),
    ("delete", "/api/profiles/{username}/follow", True),
    ("get", "/api/articles", True),
    ("get", "/api/articles/feed", True),
    ("get", "/api/articles/{slug}", True),
    ("post", "/api/articles", True),
    ("put", "/api/articles/{slug}", True),
    ("delete", "/api/articles/{slug}", True),
    ("post", "/api/articles/{slug}/comments", True),
    ("get", "/api/articles/{slug}/comments", True),
    ("delete", "/api/articles/{slug}/comments/{id}", True),
    ("post", "/api/articles/{slug}/favorite", True),
    ("delete", "/api/articles/{slug}/favorite", True),
    ("get", "/api/tags", False),
    ("get", "/api/search", True),
}
# Optional authentication: a token only adds the viewer's flags.
OPTIONAL_TOKEN = {
    ("get", "/api/profiles/{username}"),
    ("get", "/api/articles"),
    ("get", "/api/articles/{slug}"),
    ("get", "/api/articles/{slug}/comments"),
    ("get", "/api/search"),
}
FUZZ_EXAMPLES = int(os.environ.get("INKWELL_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return dict(response.json)


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_document_describes_every_endpoint_with_auth_and_errors(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["Token"]["in"] == "header"
    operations = {(m, p) for p, item in document["paths"].items() for m in item}
    assert {(m, p) for m, p, _ in ENDPOINTS} == operations
    for method, path, tokened in ENDPOINTS:
        operation = document["paths"][path][method]
        assert bool(operation.get("security")) == tokened, (method, path)
        optional = {} in operation.get("security", [])
        assert optional == ((method, path) in OPTIONAL_TOKEN), (method, path)
        responses = operation["responses"]
        assert "422" in responses
        if tokened:
            assert "401" in responses
        # Answered by the HTTP server, before the app: documented in its own format.
        assert set(responses.pop("414")["content"]) == {"text/html"}
        for code, response in responses.items():
            if code.startswith("4"):
                schema = response["content"]["application/json"]["schema"]["$ref"]
                assert schema.endswith("/ErrorResponse")


@pytest.mark.parametrize("address", ["/api/docs/", "/api/docs/swagger"])
def test_docs_work_offline(client: Any, address: str) -> None:
    page = client.get(address)
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert len(assets) == 6  # icon, two stylesheets, three scripts
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        response = client.get(asset)
        response.close()
        assert response.status_code == 200, asset


@pytest.fixture
def signed_in(app: Flask, make_user: Any) -> dict[str, str]:
    from inkwell.api.tokens import issue_token

    user: User = make_user("fuzzer")
    with app.test_request_context():
        return {"Authorization": f"Token {issue_token(user)}"}


def test_fuzzed_requests_never_fail_and_conform(
    app: Flask, session: Any, signed_in: dict[str, str]
) -> None:
    """Every operation, with generated valid and invalid input, signed in: no 5xx,
    and every answer's status, content type and body match the document."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(ENDPOINTS)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(
                headers=signed_in,
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        exercise()
