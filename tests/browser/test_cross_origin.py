"""A RealWorld-style single-page front end on another origin, in Chromium, against Inkwell
under Gunicorn: the whole reader's and writer's journey over CORS, and an origin that is
not allowed being refused by the browser.

The front end is the suite's own (tests/browser/client/): plain fetch with JSON bodies and
an `Authorization: Token` header, as RealWorld clients call the API. It is served by
Python's http.server on other ports of 127.0.0.1, which are other origins to the browser.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.browser.conftest import screenshot
from tests.servers import call, gunicorn

CLIENT = Path(__file__).resolve().parent / "client"
PASSWORD = "a good long password"


class _Files(SimpleHTTPRequestHandler):
    """Static files, without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reports what matters."""


@contextmanager
def static_origin(folder: Path) -> Iterator[str]:
    """Serve `folder` on a port of its own and yield that origin, e.g. http://127.0.0.1:PORT."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Files, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def client_origin() -> Iterator[str]:
    """The origin the API lets in."""
    with static_origin(CLIENT) as origin:
        yield origin


@pytest.fixture(scope="module")
def stranger_origin() -> Iterator[str]:
    """The same front end from an origin the API does not list."""
    with static_origin(CLIENT) as origin:
        yield origin


@pytest.fixture(scope="module")
def cors_api(tmp_path_factory: pytest.TempPathFactory, client_origin: str) -> Iterator[str]:
    """Inkwell under Gunicorn on a fresh SQLite database, sharing its API with `client_origin`
    only. Yields the API's base URL."""
    folder = tmp_path_factory.mktemp("cors")
    database = f"sqlite:///{folder / 'cors.sqlite3'}"
    with gunicorn(database, folder, INKWELL_CORS_ORIGINS=client_origin) as api:
        yield api


@dataclass
class Watch:
    """What the browser saw besides the page: console errors, failed requests, and API
    answers of 400 or more, against the ones the journey expects."""

    api: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[tuple[str, str, str]] = field(default_factory=list)
    error_answers: list[tuple[str, str, int]] = field(default_factory=list)
    expected: list[tuple[str, str, int]] = field(default_factory=list)

    @classmethod
    def on(cls, page: Any, api: str) -> Watch:
        """Start watching `page` for trouble with `api`."""
        watch = cls(api)
        page.on("console", watch._console)
        page.on("pageerror", lambda error: watch.console_errors.append(f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: watch.failed_requests.append(
                (request.method, request.url, str(request.failure))
            ),
        )
        page.on("response", watch._response)
        return watch

    def expect(self, method: str, path: str, status: int) -> None:
        """The journey is about to cause this answer on purpose."""
        self.expected.append((method, self.api + path, status))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        # Chromium logs every answer of 400 or more as an error: those the journey
        # asked for are not problems.
        for _method, url, status in self.expected:
            if message.location.get("url") == url and f"status of {status}" in message.text:
                return
        self.console_errors.append(message.text)

    def _response(self, response: Any) -> None:
        if response.url.startswith(self.api) and response.status >= 400:
            self.error_answers.append((response.request.method, response.url, response.status))

    def problems(self) -> str:
        unexpected = [answer for answer in self.error_answers if answer not in self.expected]
        lines = [
            *(f"console error: {text}" for text in self.console_errors),
            *(f"request failed: {m} {u}: {why}" for m, u, why in self.failed_requests),
            *(f"unexpected answer: {m} {u} -> {s}" for m, u, s in unexpected),
        ]
        return "\n".join(lines)


def open_client(page: Any, origin: str, api: str) -> str:
    """Load the front end from `origin`, pointed at `api`; return its first status line."""
    page.goto(f"{origin}/index.html?api={quote(api, safe='')}")
    page.wait_for_function("document.getElementById('status').dataset.seq > 0")
    return str(page.locator("#status").inner_text())


def act(page: Any, watch: Watch, control: Any, expected: str) -> None:
    """Click `control`, wait for the action to finish, and check the line it shows."""
    seq = int(page.locator("#status").get_attribute("data-seq"))
    control.click()
    page.wait_for_function("n => document.getElementById('status').dataset.seq > n", arg=seq)
    shown = page.locator("#status").inner_text()
    assert shown == expected, f"the page shows {shown!r}\n{watch.problems()}"
    assert not watch.problems(), watch.problems()


def test_a_front_end_on_another_origin_does_the_whole_journey(
    page: Any, cors_api: str, client_origin: str
) -> None:
    suffix = uuid.uuid4().hex[:6]
    reader, author = f"reader{suffix}", f"author{suffix}"
    status, body = call(
        cors_api,
        "POST",
        "/users",
        {"user": {"username": author, "email": f"{author}@example.com", "password": PASSWORD}},
    )
    assert status == 201, body
    dispatch = f"Dispatch from {author}"
    status, body = call(
        cors_api,
        "POST",
        "/articles",
        {"article": {"title": dispatch, "description": "For followers", "body": "Hello."}},
        token=body["user"]["token"],
    )
    assert status == 201, body

    watch = Watch.on(page, cors_api)
    assert open_client(page, client_origin, cors_api) == "Ready."

    sign_up = page.get_by_role("form", name="Sign up")
    sign_up.get_by_label("Username").fill(reader)
    sign_up.get_by_label("Email").fill(f"{reader}@example.com")
    sign_up.get_by_label("Password").fill(PASSWORD)
    act(page, watch, sign_up.get_by_role("button", name="Sign up"), f"Signed up as {reader}.")
    act(page, watch, page.get_by_role("button", name="Sign out"), "Signed out.")
    assert page.get_by_text("Not signed in").is_visible()

    sign_in = page.get_by_role("form", name="Sign in")
    sign_in.get_by_label("Email").fill(f"{reader}@example.com")
    sign_in.get_by_label("Password").fill("not the password")
    watch.expect("POST", "/users/login", 401)
    act(
        page,
        watch,
        sign_in.get_by_role("button", name="Sign in"),
        'Error 401 on POST /users/login: {"errors":{"credentials":["invalid"]}}',
    )
    sign_in.get_by_label("Password").fill(PASSWORD)
    act(page, watch, sign_in.get_by_role("button", name="Sign in"), f"Welcome back, {reader}.")

    # The token survives a reload: the page asks GET /api/user who it is.
    page.reload()
    page.wait_for_function("document.getElementById('status').dataset.seq > 0")
    shown = page.locator("#status").inner_text()
    assert shown == "Loaded your account.", f"the page shows {shown!r}\n{watch.problems()}"
    assert page.get_by_text(f"Signed in as {reader}").is_visible()
    assert page.get_by_text("Bio: (none)").is_visible()

    settings = page.get_by_role("form", name="Settings")
    settings.get_by_label("Bio").fill("Reads from afar")
    act(page, watch, settings.get_by_role("button", name="Update settings"), "Settings saved.")
    act(page, watch, settings.get_by_role("button", name="Reload user"), "Loaded your account.")
    assert page.get_by_text("Bio: Reads from afar").is_visible()

    title = f"Across origins {suffix}"
    editor = page.get_by_role("form", name="Article")
    editor.get_by_label("Title").fill(title)
    editor.get_by_label("Description").fill("A front end elsewhere")
    editor.get_by_label("Body").fill("It calls the API over CORS.")
    editor.get_by_label("Tags, separated by commas").fill("cors, browsers")
    act(page, watch, editor.get_by_role("button", name="Publish article"), f'Published "{title}".')
    assert page.get_by_role("heading", name=title).is_visible()

    title = f"Across origins, revised {suffix}"
    editor.get_by_label("Title").fill(title)
    act(page, watch, editor.get_by_role("button", name="Save changes"), f'Saved "{title}".')
    assert page.get_by_role("heading", name=title).is_visible()
    slug = page.locator("#article-slug").inner_text().removeprefix("Slug: ")

    comment = page.get_by_role("form", name="Comments")
    comment.get_by_label("Comment").fill("Seen from another origin.")
    act(page, watch, comment.get_by_role("button", name="Post comment"), "Comment posted.")
    comments = page.get_by_role("list", name="Comments")
    assert comments.get_by_text(f"Seen from another origin. — {reader}").is_visible()
    act(page, watch, comments.get_by_role("button", name="Delete comment"), "Comment deleted.")
    assert comments.get_by_text("No comments yet.").is_visible()

    act(page, watch, page.get_by_role("button", name="Favorite", exact=True), "Favorited.")
    assert page.get_by_text("Favorites: 1 (including yours)").is_visible()
    act(page, watch, page.get_by_role("button", name="Unfavorite"), "Unfavorited.")
    assert page.get_by_text("Favorites: 0", exact=True).is_visible()

    act(page, watch, page.get_by_role("button", name="Load tags"), "Tags: 2.")
    tags = page.get_by_role("list", name="Tags")
    assert tags.get_by_text("browsers", exact=True).is_visible()
    assert tags.get_by_text("cors", exact=True).is_visible()

    people = page.get_by_role("form", name="People")
    people.get_by_label("Username").fill(author)
    act(
        page, watch, people.get_by_role("button", name="Follow", exact=True), f"Following {author}."
    )
    assert page.get_by_text(f"You follow {author}.").is_visible()
    act(page, watch, page.get_by_role("button", name="Load feed"), "Feed: 1 article.")
    feed = page.get_by_role("list", name="Feed")
    assert feed.get_by_text(f"{dispatch} by {author}").is_visible()
    act(page, watch, people.get_by_role("button", name="Unfollow"), f"Unfollowed {author}.")
    act(page, watch, page.get_by_role("button", name="Load feed"), "Feed: 0 articles.")
    assert feed.get_by_text("Your feed is empty.").is_visible()

    screenshot(page, "cross-origin-client")
    act(page, watch, page.get_by_role("button", name="Delete article"), "Article deleted.")
    assert page.get_by_role("heading", name="No article yet").is_visible()
    assert call(cors_api, "GET", f"/articles/{slug}")[0] == 404

    assert not watch.problems(), watch.problems()
    assert watch.error_answers == [("POST", f"{cors_api}/users/login", 401)]


def test_a_front_end_on_an_origin_not_allowed_is_refused(
    page: Any, cors_api: str, stranger_origin: str
) -> None:
    name = f"stranger{uuid.uuid4().hex[:6]}"
    watch = Watch.on(page, cors_api)
    assert open_client(page, stranger_origin, cors_api) == "Ready."

    sign_up = page.get_by_role("form", name="Sign up")
    sign_up.get_by_label("Username").fill(name)
    sign_up.get_by_label("Email").fill(f"{name}@example.com")
    sign_up.get_by_label("Password").fill(PASSWORD)
    sign_up.get_by_role("button", name="Sign up").click()

    page.get_by_text("Network error on POST /users: TypeError: Failed to fetch").wait_for()
    assert page.locator("#status[data-state=error]").is_visible()
    blocked = [
        text
        for text in watch.console_errors
        if "has been blocked by CORS policy" in text and f"from origin '{stranger_origin}'" in text
    ]
    assert blocked, watch.console_errors
    assert [(m, urlsplit(u).path) for m, u, _ in watch.failed_requests] == [("POST", "/api/users")]
    # The preflight was refused, so the browser never sent the sign-up itself.
    assert call(cors_api, "GET", f"/profiles/{name}")[0] == 404
