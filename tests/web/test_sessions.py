"""Sessions the server can end: signing out, a new password, signing out everywhere.

A cookie copied from the browser (by malware, a shared computer, a proxy
log) is replayed from another client; it must stop working when its session
ends. Every request starts as a real one does (`as_a_new_request`), so no
user cached by an earlier request hides a revoked session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Flask

from inkwell.models import User
from tests.conftest import PASSWORD
from tests.web.conftest import as_a_new_request, csrf_token

MakeUser = Callable[..., User]
SESSION, REMEMBER = "session", "remember_token"


def get(client: Any, path: str) -> Any:
    as_a_new_request()
    return client.get(path)


def post(client: Any, page: str, data: dict[str, str], action: str | None = None) -> Any:
    as_a_new_request()
    token = csrf_token(client, page)
    as_a_new_request()
    return client.post(action or page, data={**data, "csrf_token": token})


def signed_in_browser(app: Flask, email: str, *, remember: bool = False) -> Any:
    """A new browser that signed in through the form."""
    browser = app.test_client()
    form = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    assert post(browser, "/login", form).status_code == 302
    return browser


def copy_of(app: Flask, browser: Any, *names: str) -> Any:
    """Another client holding copies of `browser`'s cookies `names`."""
    thief = app.test_client()
    for name in names:
        cookie = browser.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def opens_settings(client: Any) -> bool:
    response = get(client, "/settings")
    assert response.status_code in (200, 302)
    return bool(response.status_code == 200)


def api_token(client: Any, email: str) -> str:
    as_a_new_request()
    body = {"user": {"email": email, "password": PASSWORD}}
    response = client.post("/api/users/login", json=body)
    assert response.status_code == 200
    return str(response.json["user"]["token"])


def token_works(client: Any, token: str) -> bool:
    as_a_new_request()
    status = client.get("/api/user", headers={"Authorization": f"Token {token}"}).status_code
    assert status in (200, 401)
    return bool(status == 200)


def test_a_copied_session_cookie_stops_working_at_sign_out(
    app: Flask, client: Any, make_user: MakeUser
) -> None:
    make_user("ada", "ada@example.com")
    browser = signed_in_browser(app, "ada@example.com")
    thief = copy_of(app, browser, SESSION)
    assert opens_settings(thief)
    assert post(browser, "/settings", {}, action="/logout").status_code == 302
    assert not opens_settings(browser)
    assert not opens_settings(thief)


def test_the_remember_me_cookie_is_new_at_each_sign_in_and_ends_at_sign_out(
    app: Flask, client: Any, make_user: MakeUser
) -> None:
    make_user("ada", "ada@example.com")
    first = signed_in_browser(app, "ada@example.com", remember=True)
    second = signed_in_browser(app, "ada@example.com", remember=True)
    assert first.get_cookie(REMEMBER).value != second.get_cookie(REMEMBER).value
    remembered = copy_of(app, first, REMEMBER)
    assert opens_settings(remembered)  # the cookie alone signs a browser back in
    assert post(first, "/settings", {}, action="/logout").status_code == 302
    assert not opens_settings(remembered)
    assert opens_settings(second)


def test_a_new_password_ends_every_other_session_and_earlier_tokens(
    app: Flask, client: Any, make_user: MakeUser
) -> None:
    make_user("ada", "ada@example.com")
    here = signed_in_browser(app, "ada@example.com")
    elsewhere = signed_in_browser(app, "ada@example.com", remember=True)
    remembered = copy_of(app, elsewhere, REMEMBER)
    token = api_token(client, "ada@example.com")
    changed = post(
        here,
        "/settings",
        {
            "username": "ada",
            "email": "ada@example.com",
            "password": "a whole new secret",
            "current_password": PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert opens_settings(here)
    assert not opens_settings(elsewhere)
    assert not opens_settings(remembered)
    assert not token_works(client, token)


def test_a_new_password_through_the_api_ends_site_sessions_and_earlier_tokens(
    app: Flask, client: Any, make_user: MakeUser
) -> None:
    make_user("ada", "ada@example.com")
    browser = signed_in_browser(app, "ada@example.com", remember=True)
    old = api_token(client, "ada@example.com")
    as_a_new_request()
    changed = client.put(
        "/api/user",
        json={"user": {"password": "a whole new secret"}},
        headers={"Authorization": f"Token {old}"},
    )
    assert changed.status_code == 200
    assert not opens_settings(browser)
    assert not opens_settings(copy_of(app, browser, REMEMBER))
    assert not token_works(client, old)
    assert token_works(client, changed.json["user"]["token"])


def test_sign_out_everywhere_ends_every_session_and_token(
    app: Flask, client: Any, make_user: MakeUser
) -> None:
    make_user("ada", "ada@example.com")
    here = signed_in_browser(app, "ada@example.com")
    elsewhere = signed_in_browser(app, "ada@example.com", remember=True)
    token = api_token(client, "ada@example.com")
    page = get(here, "/settings").get_data(as_text=True)
    assert "Sign out everywhere" in page
    ended = post(here, "/settings", {}, action="/settings/sign-out-everywhere")
    assert ended.status_code == 302 and ended.headers["Location"].endswith("/login")
    assert not opens_settings(here)
    assert not opens_settings(elsewhere)
    assert not opens_settings(copy_of(app, elsewhere, REMEMBER))
    assert not token_works(client, token)
    assert opens_settings(signed_in_browser(app, "ada@example.com"))


def test_sign_in_with_a_line_break_in_next_goes_home(
    app: Flask, client: Any, make_user: MakeUser
) -> None:
    make_user("ada", "ada@example.com")
    for target in ("/settings\r\nSet-Cookie: x=1", "/settings\n", "/\rsettings"):
        browser = app.test_client()
        form = {"email": "ada@example.com", "password": PASSWORD}
        response = post(browser, "/login", form, action="/login?" + urlencode({"next": target}))
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target
