"""Each request and command is one unit of work: committed whole, or not at all."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from flask import Flask

from inkwell.services import accounts
from inkwell.services import articles as article_service
from inkwell.services.errors import NotFound
from tests.servers import BIN
from tests.transactions.conftest import BUSY_TIMEOUT_MS, database_file
from tests.web.conftest import csrf_token

_numbers = count(1)


def register(http: Any) -> tuple[str, dict[str, str]]:
    """A new account through the API: its username and signed-in headers."""
    name = f"writer{next(_numbers)}"
    user = {"username": name, "email": f"{name}@example.com", "password": "long-enough"}
    response = http.post("/api/users", json={"user": user})
    assert response.status_code == 201, response.json
    return name, {"Authorization": f"Token {response.json['user']['token']}"}


def publish(http: Any, headers: dict[str, str], title: str) -> str:
    article = {"article": {"title": title, "description": "d", "body": "b", "tagList": ["kept"]}}
    response = http.post("/api/articles", json=article, headers=headers)
    assert response.status_code == 201, response.json
    slug: str = response.json["article"]["slug"]
    return slug


def test_a_request_that_succeeds_is_committed(http: Any, read_back: Callable[..., Any]) -> None:
    name, headers = register(http)
    slug = publish(http, headers, "Committed once")
    response = http.put(
        f"/api/articles/{slug}", json={"article": {"body": "edited"}}, headers=headers
    )
    assert response.status_code == 200
    assert read_back("SELECT body FROM articles WHERE slug = :slug", slug=slug) == "edited"
    assert read_back("SELECT count(*) FROM users WHERE username = :name", name=name) == 1


def test_a_request_that_fails_after_flushing_keeps_nothing(
    http: Any, read_back: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _name, headers = register(http)
    slug = publish(http, headers, "Rolled back whole")

    def vanished(*_args: Any) -> Any:
        raise NotFound("article")

    # The edit is flushed; the article then "disappears" before the answer.
    monkeypatch.setattr(article_service, "get_article", vanished)
    response = http.put(
        f"/api/articles/{slug}",
        json={"article": {"body": "never kept", "tagList": ["other"]}},
        headers=headers,
    )
    assert response.status_code == 404
    assert read_back("SELECT body FROM articles WHERE slug = :slug", slug=slug) == "b"
    assert read_back("SELECT count(*) FROM tags WHERE name = 'other'") == 0


def sign_in_on_the_site(http: Any, name: str) -> None:
    """Sign the account `name` in through the site's form."""
    signed_in = http.post(
        "/login",
        data={
            "email": f"{name}@example.com",
            "password": "long-enough",
            "csrf_token": csrf_token(http, "/login"),
        },
    )
    assert signed_in.status_code == 302


def test_a_web_form_that_succeeds_is_committed(http: Any, read_back: Callable[..., Any]) -> None:
    name, _headers = register(http)
    sign_in_on_the_site(http, name)
    saved = http.post(
        "/settings",
        data={
            "username": name,
            "email": f"{name}@example.com",
            "bio": "Kept",
            "csrf_token": csrf_token(http, "/settings"),
        },
    )
    assert saved.status_code == 302
    assert read_back("SELECT bio FROM users WHERE username = :name", name=name) == "Kept"


def test_a_command_that_succeeds_is_committed(
    committing_app: Flask, read_back: Callable[..., Any]
) -> None:
    result = committing_app.test_cli_runner().invoke(
        args=["users", "create", "operator", "operator@example.com", "--password-stdin"],
        input="long-enough\n",
    )
    assert result.exit_code == 0, result.output
    assert read_back("SELECT count(*) FROM users WHERE username = 'operator'") == 1


class WriteLock:
    """Another process's writer holding SQLite's write lock, then committing."""

    def __init__(self, app: Flask) -> None:
        self.connection = sqlite3.connect(
            database_file(app), isolation_level=None, check_same_thread=False
        )
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute("UPDATE counters SET value = value")

    def commit_after(self, seconds: float) -> threading.Thread:
        def later() -> None:
            time.sleep(seconds)
            self.connection.execute("COMMIT")

        thread = threading.Thread(target=later)
        thread.start()
        return thread

    def release(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("COMMIT")
        self.connection.close()


@pytest.mark.backends("sqlite")  # only SQLite locks the whole database
def test_signing_in_checks_the_password_without_waiting_for_a_writer(
    committing_app: Flask, http: Any
) -> None:
    """The password is verified in a unit that only reads: a wrong one is answered at
    once while a writer holds the lock. Recording a right one is a short write,
    which waits for the writer like any other."""
    name, headers = register(http)
    lock = WriteLock(committing_app)
    try:
        wrong = {"user": {"email": f"{name}@example.com", "password": "not-the-one"}}
        assert http.post("/api/users/login", json=wrong).status_code == 401
        assert http.get("/api/articles", headers=headers).status_code == 200
        # A write does wait, for as long as the busy timeout, and says why it gave up.
        article = {"article": {"title": "Blocked", "description": "d", "body": "b"}}
        blocked = http.post("/api/articles", json=article, headers=headers)
        assert blocked.status_code == 503
        assert blocked.json == {"errors": {"database": ["is busy, try again shortly"]}}
        waited = lock.commit_after(BUSY_TIMEOUT_MS / 1000 * 0.4)
        credentials = {"user": {"email": f"{name}@example.com", "password": "long-enough"}}
        assert http.post("/api/users/login", json=credentials).status_code == 200
        waited.join()
    finally:
        lock.release()


@pytest.mark.backends("sqlite")  # only SQLite locks the whole database
def test_a_command_waits_for_a_writer_instead_of_failing(
    committing_app: Flask, read_back: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command reads, then writes; a writer commits in between.

    A transaction that began reading cannot write after another commit, so
    the command must hold the write lock from its first statement on.
    """
    monkeypatch.setattr(accounts, "hash_password", lambda _password: "not-a-real-hash")
    lock = WriteLock(committing_app)
    waited = lock.commit_after(BUSY_TIMEOUT_MS / 1000 * 0.4)
    try:
        result = committing_app.test_cli_runner().invoke(
            args=["users", "create", "patient", "patient@example.com", "--password-stdin"],
            input="long-enough\n",
        )
    finally:
        waited.join()
        lock.release()
    assert result.exit_code == 0, result.output
    assert read_back("SELECT count(*) FROM users WHERE username = 'patient'") == 1


@pytest.mark.backends("sqlite")  # only SQLite locks the whole database
def test_a_command_that_waited_in_vain_names_the_database_busy(
    committing_app: Flask, read_back: Callable[..., Any]
) -> None:
    """Run as an operator does, through the `inkwell` command, while a writer holds on."""
    database = database_file(committing_app)
    environ = {
        "PATH": os.environ["PATH"],
        "INKWELL_ENV": "testing",
        "INKWELL_INSTANCE_PATH": str(database.parent),
        "DATABASE_URL": f"sqlite:///{database}",
        "INKWELL_SQLITE_BUSY_TIMEOUT_MS": "200",
    }
    lock = WriteLock(committing_app)
    try:
        result = subprocess.run(
            [BIN / "inkwell", "users", "create", "late", "late@example.com", "--password-stdin"],
            input="long-enough\n",
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        lock.release()
    assert result.returncode == 1
    assert result.stderr.startswith("Error: the database is busy: another writer held it")
    assert "Traceback" not in result.stderr
    assert read_back("SELECT count(*) FROM users WHERE username = 'late'") == 0


def write_lock_is_free(app: Flask) -> bool:
    """Whether another connection could take SQLite's write lock right now."""
    other = sqlite3.connect(database_file(app), isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def noting_the_lock(
    app: Flask, monkeypatch: pytest.MonkeyPatch, module: Any, *names: str
) -> list[str]:
    """Replace each of `names` in `module` by itself noting whether the write lock was
    free when it was called; the notes, in the order of the calls."""
    seen: list[str] = []

    def noting(name: str) -> Callable[..., Any]:
        original = getattr(module, name)

        def noted(*args: Any, **kwargs: Any) -> Any:
            seen.append(f"{name}: {'free' if write_lock_is_free(app) else 'held'}")
            return original(*args, **kwargs)

        return noted

    for name in names:
        monkeypatch.setattr(module, name, noting(name))
    return seen


@pytest.mark.backends("sqlite")  # only SQLite locks the whole database
def test_an_article_is_checked_rendered_and_given_a_slug_before_the_write_lock(
    committing_app: Flask, http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _name, headers = register(http)
    seen = noting_the_lock(
        committing_app, monkeypatch, article_service, "html_columns", "free_slug", "save_with_slug"
    )
    publish(http, headers, "Prepared first")
    assert seen == ["html_columns: free", "free_slug: free", "save_with_slug: held"]


NEW_PASSWORD = "quill lantern archive 1987 river"


@pytest.mark.backends("sqlite")  # only SQLite locks the whole database
def test_a_new_password_is_hashed_before_the_write_lock_through_the_api(
    committing_app: Flask, http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _name, headers = register(http)
    seen = noting_the_lock(
        committing_app, monkeypatch, accounts, "hash_password", "end_credentials"
    )
    changed = http.put("/api/user", json={"user": {"password": NEW_PASSWORD}}, headers=headers)
    assert changed.status_code == 200, changed.json
    assert seen == ["hash_password: free", "end_credentials: held"]


@pytest.mark.backends("sqlite")  # only SQLite locks the whole database
def test_passwords_are_checked_and_hashed_before_the_write_lock_on_the_site(
    committing_app: Flask, http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _headers = register(http)
    sign_in_on_the_site(http, name)
    functions = ("verify_password", "hash_password", "end_credentials")
    seen = noting_the_lock(committing_app, monkeypatch, accounts, *functions)
    saved = http.post(
        "/settings",
        data={
            "username": name,
            "email": f"{name}@example.com",
            "password": NEW_PASSWORD,
            "current_password": "long-enough",
            "csrf_token": csrf_token(http, "/settings"),
        },
    )
    assert saved.status_code == 302
    assert seen == ["verify_password: free", "hash_password: free", "end_credentials: held"]
