"""Behind Nginx: the client address and scheme come from exactly one trusted proxy."""

from __future__ import annotations

import secrets
from typing import Any


def test_behind_one_proxy_the_forwarded_client_address_counts(tmp_path: Any) -> None:
    """With INKWELL_PROXY_HOPS=1, rate limits key on X-Forwarded-For, not the proxy:
    here the limit on failures per address, whatever the accounts tried."""
    from inkwell import create_app
    from inkwell.extensions import db, limiter
    from tests.conftest import environ_for

    app = create_app(
        environ_for(
            f"sqlite:///{tmp_path / 'proxy.sqlite3'}",
            tmp_path,
            INKWELL_PROXY_HOPS="1",
            INKWELL_LOGIN_ADDRESS_LIMIT="2 per minute",
        )
    )
    with app.app_context():
        from inkwell.ops.schema import upgrade

        upgrade()
        limiter.reset()
    client = app.test_client()

    def attempt(address: str, email: str) -> int:
        body = {"user": {"email": email, "password": "wrong-password"}}
        headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
        return int(client.post("/api/users/login", json=body, headers=headers).status_code)

    assert [attempt("203.0.113.7", f"a{n}@example.com") for n in range(3)] == [401, 401, 429]
    assert attempt("198.51.100.2", "b@example.com") == 401
    with app.app_context():
        limiter.reset()
        db.engine.dispose()


HSTS = "max-age=31536000"


def app_for(tmp_path: Any, environment: str, public_url: str, **extra: str) -> Any:
    from inkwell import create_app
    from tests.conftest import environ_for

    return create_app(
        environ_for(
            f"sqlite:///{tmp_path / 'hsts.sqlite3'}",
            tmp_path,
            INKWELL_ENV=environment,
            INKWELL_SECRET_KEY=secrets.token_urlsafe(48),
            INKWELL_PUBLIC_URL=public_url,
            **extra,
        )
    )


def test_production_over_https_asks_browsers_to_stay_on_https(tmp_path: Any) -> None:
    """On every answer, pages, API, errors and outages alike (the database is not
    migrated here, so the API answers 503)."""
    client = app_for(tmp_path, "production", "https://blog.example.com").test_client()
    for path in ["/healthz", "/missing", "/api/tags", "/login"]:
        answer = client.get(path, base_url="https://blog.example.com")
        assert answer.headers["Strict-Transport-Security"] == HSTS, path
    # RFC 6797: never over plain HTTP, where anyone on the way could have sent it.
    plain = client.get("/healthz", base_url="http://blog.example.com")
    assert "Strict-Transport-Security" not in plain.headers


def test_hsts_follows_the_scheme_nginx_forwards(tmp_path: Any) -> None:
    app = app_for(tmp_path, "production", "https://blog.example.com", INKWELL_PROXY_HOPS="1")
    client = app.test_client()
    forwarded = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert forwarded.headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_no_hsts_for_a_site_on_plain_http_or_in_development(tmp_path: Any) -> None:
    for environment, public_url in [
        ("production", "http://blog.example.com"),
        ("development", "https://blog.example.com"),
    ]:
        client = app_for(tmp_path, environment, public_url).test_client()
        answer = client.get("/healthz", base_url="https://blog.example.com")
        assert "Strict-Transport-Security" not in answer.headers, environment
