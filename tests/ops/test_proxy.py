"""Behind Nginx: the client address and scheme come from exactly one trusted proxy."""

from __future__ import annotations

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
        from flask_migrate import upgrade

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
