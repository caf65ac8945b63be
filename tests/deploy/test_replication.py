"""Read replicas on real PostgreSQL streaming replication.

A private primary and a hot standby made from it with `pg_basebackup -R`,
and Inkwell under Gunicorn reading from the standby. Where reads went is
counted on each server by `pg_stat_statements`. The standby's replay can be
paused (`pg_wal_replay_pause`), which makes any reader who would be served
a stale page certainly see one, so the read-your-writes tests cannot pass by
luck of timing.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.databases import emptied_redis
from tests.private_postgres import (
    COUNTING,
    PrivatePostgres,
    new_server,
    primary_with_database,
    running,
)
from tests.servers import BIN, call, gunicorn

DATABASE = "inkwell"
REDIS_URL = "redis://127.0.0.1:6379/13"
MAX_LAG = "30"
# The statements that list articles, on whichever server ran them.
LISTS = "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%FROM articles%'"


@dataclass
class Replication:
    primary: PrivatePostgres
    standby: PrivatePostgres

    def article_reads(self) -> tuple[int, int]:
        """How many statements reading articles each server has run: (primary, standby)."""
        return _scalar(self.primary, LISTS), _scalar(self.standby, LISTS)

    def pause_replay(self) -> None:
        _scalar(self.standby, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        _scalar(self.standby, "SELECT pg_wal_replay_resume()")


def _scalar(server: PrivatePostgres, statement: str) -> Any:
    row = server.first_row(DATABASE, statement)
    return None if row is None else row[0]


@pytest.fixture(scope="module")
def replication() -> Iterator[Replication]:
    """A primary with `pg_stat_statements` and a streaming hot standby of it."""
    with primary_with_database(DATABASE, COUNTING) as primary:
        _scalar(primary, "CREATE EXTENSION pg_stat_statements")
        standby = new_server("inkwell-standby-", COUNTING)
        standby.copy_of(primary)
        with running(standby):
            yield Replication(primary, standby)


@pytest.fixture(scope="module")
def redis_positions() -> None:
    emptied_redis(REDIS_URL)


def serve(replication: Replication, folder: Path, **settings: str) -> Any:
    """Inkwell under Gunicorn on the primary, reading from the standby."""
    return gunicorn(
        replication.primary.url(DATABASE),
        folder,
        workers=2,
        INKWELL_DATABASE_REPLICA_URLS=replication.standby.url(DATABASE),
        INKWELL_REPLICA_MAX_LAG_SECONDS=settings.pop("max_lag", MAX_LAG),
        INKWELL_RATELIMIT_ENABLED="false",
        **settings,
    )


@pytest.fixture(scope="module")
def api(
    replication: Replication, redis_positions: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serve(
        replication, tmp_path_factory.mktemp("replicas"), INKWELL_REDIS_URL=REDIS_URL
    ) as base:
        wait_for(lambda: replica_state(base) == "in use", "the standby to come into use")
        yield base


def replica_state(base: str) -> str | None:
    """The standby's state as /readyz tells an operator (a request from this machine)."""
    with urllib.request.urlopen(base.removesuffix("/api") + "/readyz", timeout=10) as answer:
        replicas = json.load(answer).get("replicas", [])
    return replicas[0]["state"] if replicas else None


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def register(base: str, name: str) -> str:
    status, body = call(
        base,
        "POST",
        "/users",
        {"user": {"username": name, "email": f"{name}@example.com", "password": "long enough"}},
    )
    assert status == 201, body
    token: str = body["user"]["token"]
    return token


def write_article(base: str, token: str, title: str) -> str:
    article = {"article": {"title": title, "description": "d", "body": "b"}}
    status, body = call(base, "POST", "/articles", article, token)
    assert status == 201, body
    slug: str = body["article"]["slug"]
    return slug


def caught_up(replication: Replication, base: str) -> None:
    """Wait until the standby has replayed everything written so far and is in use."""
    target = _scalar(replication.primary, "SELECT pg_current_wal_lsn() - '0/0'")
    wait_for(
        lambda: _scalar(replication.standby, "SELECT pg_last_wal_replay_lsn() - '0/0'") >= target,
        "the standby to catch up",
    )
    wait_for(lambda: replica_state(base) == "in use", "the standby to be read from again")


def read_on_standby(replication: Replication, base: str) -> bool:
    """Whether a list read now goes to the standby (each worker checks it by itself)."""
    _, before = replication.article_reads()
    # An address never asked before (the API ignores the extra parameter), so the
    # answer is read, not a signed-out reader's kept page.
    assert call(base, "GET", f"/articles?limit=1&probe={time.monotonic_ns()}")[0] == 200
    return bool(replication.article_reads()[1] > before)


class Browser:
    """A browser's cookies and forms, by hand: the site's cookies are Secure in
    production, which this plain-HTTP server is, so a cookie jar would not send them."""

    def __init__(self, base: str) -> None:
        self.host = urllib.parse.urlsplit(base).netloc
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.host, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        answer = connection.getresponse()
        for header, value in answer.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        page = answer.read().decode()
        connection.close()
        return answer.status, page

    def submit(self, path: str, fields: dict[str, str], page_path: str | None = None) -> int:
        """Fill in the form at `page_path` (or `path`) with its CSRF token and post it."""
        _, page = self.request("GET", page_path or path)
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert found, f"no form at {page_path or path}"
        status, _ = self.request("POST", path, {"csrf_token": found.group(1), **fields})
        return status


def test_reads_are_served_by_the_standby(replication: Replication, api: str) -> None:
    primary_before, standby_before = replication.article_reads()
    for offset in range(20):  # twenty pages: a page asked for again would be a kept one
        status, _ = call(api, "GET", f"/articles?limit=5&offset={offset}")
        assert status == 200
    primary_after, standby_after = replication.article_reads()
    assert standby_after - standby_before >= 20
    assert primary_after == primary_before


def test_an_api_writer_reads_their_own_writes_from_a_paused_standby(
    replication: Replication, api: str
) -> None:
    caught_up(replication, api)
    replication.pause_replay()
    try:
        token = register(api, "fresh")  # an account the standby has not seen
        status, body = call(api, "GET", "/user", token=token)
        assert (status, body["user"]["username"]) == (200, "fresh")
        slug = write_article(api, token, "Seen at once")
        status, body = call(api, "GET", f"/articles/{slug}", token=token)
        assert (status, body["article"]["title"]) == (200, "Seen at once")
        status, body = call(api, "GET", "/articles?author=fresh", token=token)
        assert [a["slug"] for a in body["articles"]] == [slug]
        # Everyone else is still served by the standby, which lacks the new article.
        status, _ = call(api, "GET", f"/articles/{slug}")
        assert status == 404
        assert replica_state(api) == "in use"
    finally:
        replication.resume_replay()
    caught_up(replication, api)
    assert call(api, "GET", f"/articles/{slug}")[0] == 200


def test_a_browser_reads_its_own_writes_from_a_paused_standby(
    replication: Replication, api: str
) -> None:
    register(api, "penman")
    caught_up(replication, api)
    replication.pause_replay()
    try:
        browser = Browser(api)
        fields = {"email": "penman@example.com", "password": "long enough"}
        assert browser.submit("/login", fields) == 302
        status, page = browser.request("GET", "/")
        assert status == 200 and "penman" in page  # signed in, by a session the standby lacks
        article = {"title": "Written in the browser", "description": "d", "body": "b", "tags": ""}
        assert browser.submit("/editor", article) == 302
        status, page = browser.request("GET", "/article/written-in-the-browser")
        assert status == 200 and "Written in the browser" in page
        status, _ = Browser(api).request("GET", "/article/written-in-the-browser")
        assert status == 404  # a reader without the cookie is served by the standby
    finally:
        replication.resume_replay()


def test_a_standby_lagging_too_far_is_skipped_until_it_catches_up(
    replication: Replication, redis_positions: None, tmp_path: Path
) -> None:
    with serve(replication, tmp_path, max_lag="1") as base:
        caught_up(replication, base)
        token = register(base, "hurried")
        caught_up(replication, base)
        replication.pause_replay()
        try:
            slug = write_article(base, token, "Too new for the standby")
            wait_for(lambda: replica_state(base) == "lagging", "the standby to be seen lagging")
            time.sleep(1.5)  # by the other worker too: each checks once a second
            primary_before, standby_before = replication.article_reads()
            status, body = call(base, "GET", f"/articles/{slug}")  # anonymous: no position
            assert status == 200, body
            assert replication.article_reads() == (primary_before + 1, standby_before)
        finally:
            replication.resume_replay()
        caught_up(replication, base)
        wait_for(lambda: read_on_standby(replication, base), "reads to go to the standby again")


def metrics(base: str) -> str:
    with urllib.request.urlopen(base.removesuffix("/api") + "/metrics", timeout=10) as answer:
        text: str = answer.read().decode()
    return text


def test_operators_see_the_standby_in_metrics_and_on_the_dashboard(
    replication: Replication, api: str, tmp_path: Path
) -> None:
    caught_up(replication, api)
    name = f'replica="127.0.0.1:{replication.standby.port}/{DATABASE}"'
    assert f"inkwell_replica_usable{{{name}}} 1.0" in metrics(api)
    assert f"inkwell_replica_lag_seconds{{{name}}} 0.0" in metrics(api)

    environment = {
        "PATH": os.environ["PATH"],
        "INKWELL_ENV": "testing",
        "DATABASE_URL": replication.primary.url(DATABASE),
        "INKWELL_INSTANCE_PATH": str(tmp_path),
    }
    subprocess.run(
        [
            BIN / "inkwell",
            "users",
            "create",
            "chief",
            "chief@example.com",
            "--admin",
            "--password-stdin",
        ],
        env=environment,
        input="long enough\n",
        text=True,
        check=True,
        capture_output=True,
    )
    browser = Browser(api)
    assert (
        browser.submit("/login", {"email": "chief@example.com", "password": "long enough"}) == 302
    )
    status, page = browser.request("GET", "/admin/database")
    assert status == 200
    assert f"127.0.0.1:{replication.standby.port}/{DATABASE}" in page
    assert '<span class="badge">in use</span>' in page


def test_stopping_the_standby_under_read_load_fails_no_request_and_it_rejoins(
    replication: Replication, api: str
) -> None:
    caught_up(replication, api)
    outcomes: list[int] = []
    stop = threading.Event()
    site = api.removesuffix("/api")

    def keep_reading() -> None:
        while not stop.is_set():
            status, _ = call(api, "GET", "/articles?limit=5")
            outcomes.append(status)
            try:
                with urllib.request.urlopen(site + "/", timeout=10) as page:
                    outcomes.append(page.status)
            except urllib.error.HTTPError as error:
                outcomes.append(error.code)

    readers = [threading.Thread(target=keep_reading) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        time.sleep(1.5)
        replication.standby.stop()
        wait_for(lambda: replica_state(api) == "down", "the standby to be seen down")
        name = f'replica="127.0.0.1:{replication.standby.port}/{DATABASE}"'
        assert f"inkwell_replica_usable{{{name}}} 0.0" in metrics(api)
        assert "inkwell_replica_lag_seconds{" not in metrics(api)
        time.sleep(1.5)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    assert len(outcomes) > 50
    assert set(outcomes) == {200}, f"failed reads: {[s for s in outcomes if s != 200]}"

    replication.standby.start()
    wait_for(lambda: read_on_standby(replication, api), "the standby to rejoin")
