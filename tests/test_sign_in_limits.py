"""Failed sign-ins: one count for the site and the API, and no way to lock an owner out.

The limits are made small here (the defaults are 10, 50 and 100): 3 failures
per account from one address, 6 per address, 5 per account from everywhere
(after which only addresses that have not failed on the account may try).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from inkwell.models import User
from tests.conftest import PASSWORD, reset_rate_limits
from tests.web.conftest import as_a_new_request, csrf_token

WRONG = "not the password"


@pytest.fixture(autouse=True)
def small_limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    reset_rate_limits(app)
    monkeypatch.setitem(app.config, "INKWELL_LOGIN_LIMIT", "3 per 15 minutes")
    monkeypatch.setitem(app.config, "INKWELL_LOGIN_ADDRESS_LIMIT", "6 per 15 minutes")
    monkeypatch.setitem(app.config, "INKWELL_LOGIN_ACCOUNT_LIMIT", "5 per day")


@pytest.fixture
def ada(make_user: Callable[..., User]) -> User:
    return make_user("ada", "ada@example.com")


def by_api(client: Any, address: str, password: str, email: str = "ada@example.com") -> int:
    as_a_new_request()
    body = {"user": {"email": email, "password": password}}
    response = client.post("/api/users/login", json=body, environ_base={"REMOTE_ADDR": address})
    return int(response.status_code)


def by_form(client: Any, address: str, password: str, email: str = "ada@example.com") -> int:
    as_a_new_request()
    token = csrf_token(client, "/login")
    as_a_new_request()
    form = {"email": email, "password": password, "csrf_token": token}
    response = client.post("/login", data=form, environ_base={"REMOTE_ADDR": address})
    assert response.status_code != 400, "the form was refused"
    return 302 if response.status_code == 302 else int(response.status_code)


def test_the_site_and_the_api_share_one_count(client: Any, ada: User) -> None:
    assert by_form(client, "10.0.0.1", WRONG) == 401
    assert by_api(client, "10.0.0.1", WRONG) == 401
    assert by_form(client, "10.0.0.1", WRONG) == 401
    assert by_api(client, "10.0.0.1", PASSWORD) == 429
    assert by_form(client, "10.0.0.1", PASSWORD) == 429


def test_a_flood_from_other_addresses_does_not_lock_the_owner_out(
    app: Flask, client: Any, ada: User
) -> None:
    for n in range(12):  # well past the per-account limit
        assert by_api(client, f"10.0.0.{n}", WRONG) == 401
    assert by_api(client, "192.0.2.10", PASSWORD) == 200
    assert by_form(app.test_client(), "192.0.2.11", PASSWORD) == 302


def test_past_the_account_limit_an_address_that_failed_waits(client: Any, ada: User) -> None:
    for n in range(5):
        assert by_api(client, f"10.1.0.{n}", WRONG) == 401
    # A new address still gets its guess, but only the one.
    assert by_api(client, "10.2.0.1", WRONG) == 401
    blocked = client.post(
        "/api/users/login",
        json={"user": {"email": "ada@example.com", "password": PASSWORD}},
        environ_base={"REMOTE_ADDR": "10.2.0.1"},
    )
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert by_api(client, "10.1.0.4", PASSWORD) == 429


def test_one_address_spraying_many_accounts_is_stopped(
    client: Any, make_user: Callable[..., User]
) -> None:
    for n in range(6):
        assert by_api(client, "10.3.0.1", WRONG, email=f"someone{n}@example.com") == 401
    assert by_api(client, "10.3.0.1", WRONG, email="someone-else@example.com") == 429
    assert by_api(client, "10.3.0.2", WRONG, email="someone-else@example.com") == 401


def test_one_address_guessing_at_one_account_is_stopped(client: Any, ada: User) -> None:
    for _ in range(3):
        assert by_api(client, "10.4.0.1", WRONG) == 401
    assert by_api(client, "10.4.0.1", PASSWORD) == 429
    assert by_api(client, "10.4.0.2", PASSWORD) == 200
