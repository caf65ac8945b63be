"""Several app servers behind one Nginx, as docs/scaling.md runs them, proven end to end.

Two Gunicorn instances, each started with deploy/gunicorn.conf.py, share one
fresh PostgreSQL database and one Redis database behind a real Nginx whose
upstream is deploy/inkwell_upstream.conf, with deploy/inkwell_proxy.conf's
failover. What one server issues (an API token, a site session, an article, a
count of failed sign-ins) holds on the other, through Nginx and addressed
directly; a server killed under load costs no read; and a database outage
reaches readers as Inkwell's 503, never as Nginx's own error.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import BACKENDS, PASSWORD
from tests.databases import emptied_redis
from tests.deploy.nginx import fetch, port_of, require_nginx, running_nginx
from tests.servers import call, free_port, gunicorn

# A database number of its own: tests/test_redis_limits.py empties 15.
REDIS_URL = "redis://127.0.0.1:6379/14"
LOGIN_LIMIT = 3
WORKERS = 4  # two app servers of two workers each (tests.servers.gunicorn)
READS = 600  # concurrent GETs through Nginx while one server is killed
DATABASE_UNAVAILABLE = {"errors": {"database": ["is unavailable, try again shortly"]}}


@dataclass(frozen=True)
class Site:
    """Nginx's port and error log, and each app server's port and access log."""

    nginx: int
    servers: tuple[int, ...]
    logs: tuple[Path, ...]
    error_log: Path


def api(port: int) -> str:
    """The API's URL on the server (Nginx or an app server) at `port`."""
    return f"http://127.0.0.1:{port}/api"


@pytest.fixture(scope="module")
def redis_url() -> str:
    """REDIS_URL, emptied, for the servers' rate-limit counters."""
    return emptied_redis(REDIS_URL)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for the app servers to share, dropped after."""
    require_nginx()
    postgres = BACKENDS["postgresql"]
    if postgres.problem:
        pytest.skip(f"PostgreSQL not available: {postgres.problem}")
    url = postgres.fresh_url("inkwell_test_app_servers", tmp_path_factory.mktemp("database"))
    try:
        yield url
    finally:
        administer(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')


def administer(*statements: str | sa.TextClause) -> None:
    """Run `statements` on the PostgreSQL server as the test suite's account."""
    server = BACKENDS["postgresql"].server_url
    assert server is not None
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(sa.text(statement) if isinstance(statement, str) else statement)
    finally:
        engine.dispose()


@contextmanager
def app_servers(folder: Path, database: str, static: Path, redis_url: str) -> Iterator[Site]:
    """Two app servers on `database` and `redis_url` behind Nginx, as in production."""
    listen = free_port()
    settings = {
        "INKWELL_PROXY_HOPS": "1",
        "INKWELL_PUBLIC_URL": f"http://127.0.0.1:{listen}",
        "INKWELL_REDIS_URL": redis_url,
        "INKWELL_LOGIN_LIMIT": f"{LOGIN_LIMIT} per 15 minutes",
    }
    with ExitStack() as stack:
        ports, logs = [], []
        for name in ("a", "b"):
            instance = folder / name
            instance.mkdir()
            logs.append(instance / "access.log")
            ports.append(
                port_of(stack.enter_context(gunicorn(database, instance, log=logs[-1], **settings)))
            )
        stack.enter_context(running_nginx(folder, listen, static, ports))
        yield Site(listen, tuple(ports), tuple(logs), folder / "error.log")


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, database: str, static_copy: Path, redis_url: str
) -> Iterator[Site]:
    """The two app servers and Nginx most tests share (they are slow to start)."""
    with app_servers(tmp_path_factory.mktemp("site"), database, static_copy, redis_url) as shared:
        yield shared


def register(port: int) -> tuple[str, str, str]:
    """A new account made through the server at `port`: (username, email, token)."""
    username = f"u{uuid.uuid4().hex[:12]}"
    email = f"{username}@example.com"
    status, body = call(
        api(port),
        "POST",
        "/users",
        {"user": {"username": username, "email": email, "password": PASSWORD}},
    )
    assert status == 201, body
    return username, email, body["user"]["token"]


def test_nginx_spreads_requests_over_both_servers(site: Site) -> None:
    marker = uuid.uuid4().hex
    for _ in range(20):
        assert fetch(site.nginx, "GET", f"/api/tags?probe={marker}")[0] == 200
    time.sleep(0.2)  # let the workers flush their access logs
    served = [log.read_text().count(marker) for log in site.logs]
    assert sum(served) == 20 and min(served) >= 5, served


def test_a_token_issued_by_one_server_works_on_the_other(site: Site) -> None:
    a, b = site.servers
    username, _email, token = register(a)
    for port in (b, site.nginx):
        status, body = call(api(port), "GET", "/user", token=token)
        assert status == 200 and body["user"]["username"] == username


def test_a_site_session_made_on_one_server_is_signed_in_on_the_other(site: Site) -> None:
    a, b = site.servers
    username, email, _token = register(a)
    status, headers, page = fetch(a, "GET", "/login")
    assert status == 200
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert csrf
    form = {"csrf_token": csrf.group(1).decode(), "email": email, "password": PASSWORD}
    # The form A made, with its CSRF token, is accepted by B.
    status, headers, _ = fetch(
        b,
        "POST",
        "/login",
        urllib.parse.urlencode(form).encode(),
        Content_Type="application/x-www-form-urlencoded",
        Cookie=cookie(headers),
    )
    assert status == 302
    signed_in = cookie(headers)
    for port in (a, b, site.nginx, site.nginx):
        status, _headers, page = fetch(port, "GET", "/settings", Cookie=signed_in)
        assert status == 200 and username.encode() in page


def cookie(headers: dict[str, str]) -> str:
    """The name=value part of the answer's Set-Cookie (the site's cookies are Secure in
    production, which these plain-http requests are not, so they go back by hand)."""
    return headers["set-cookie"].split(";", 1)[0]


def test_an_article_written_through_one_server_is_read_through_the_other_at_once(
    site: Site,
) -> None:
    a, b = site.servers
    _username, _email, token = register(site.nginx)
    article = {"title": f"Shared {uuid.uuid4().hex}", "description": "d", "body": "Written on *A*."}
    status, body = call(api(a), "POST", "/articles", {"article": article}, token)
    assert status == 201
    slug = body["article"]["slug"]
    status, read = call(api(b), "GET", f"/articles/{slug}")
    assert status == 200 and read["article"]["body"] == article["body"]
    for _ in range(2):  # once from each server
        status, _headers, page = fetch(site.nginx, "GET", f"/article/{slug}")
        assert status == 200 and article["title"].encode() in page


def test_failed_sign_ins_count_on_every_server(site: Site) -> None:
    """The limit is LOGIN_LIMIT failures in all, not LOGIN_LIMIT per server: the
    counters are in the Redis every server uses."""
    a, b = site.servers
    _username, email, _token = register(a)

    def sign_in(port: int, password: str) -> int:
        return call(
            api(port), "POST", "/users/login", {"user": {"email": email, "password": password}}
        )[0]

    statuses = [sign_in(port, "wrong password") for port in (a, b, a, b, a)]
    assert statuses == [401] * LOGIN_LIMIT + [429] * (5 - LOGIN_LIMIT)
    # Held back on both, even with the right password.
    assert [sign_in(port, PASSWORD) for port in (a, b)] == [429, 429]


@contextmanager
def database_closed(database: str) -> Iterator[None]:
    """No connection to `database` is allowed, and those open are ended: an outage of
    the database every app server shares."""
    name = sa.make_url(database).database
    administer(
        f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
        sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
        ).bindparams(name=name),
    )
    try:
        yield
    finally:
        administer(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def test_a_database_outage_reaches_readers_as_inkwell_503_and_ends_with_the_outage(
    site: Site, database: str
) -> None:
    """Nginx passes Inkwell's 503 on without counting it against the server: had it
    counted them, it would answer its own 502 once every server was marked down,
    and go on doing so for fail_timeout after the database came back.

    Once the database is back, a worker whose pooled connection the outage ended
    answers its first request with a 503 and then starts its pool afresh (see
    `inkwell.connections`): at most one 503 per worker, never a 502."""
    with database_closed(database):
        answers = [fetch(site.nginx, "GET", "/api/articles") for _ in range(12)]
    assert [status for status, _headers, _body in answers] == [503] * 12
    for _status, headers, body in answers:
        assert json.loads(body) == DATABASE_UNAVAILABLE and headers["retry-after"] == "5"
    after = Counter(fetch(site.nginx, "GET", "/api/articles")[0] for _ in range(24))
    assert set(after) <= {200, 503} and after[503] <= WORKERS, after


def listeners(port: int) -> set[int]:
    """The processes holding the socket listening on 127.0.0.1:`port`: for Gunicorn,
    its master and every worker."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:  # 0A: LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    holders = set()
    for descriptor in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(descriptor) in inodes:
                holders.add(int(descriptor.parts[2]))
        except OSError:  # a process or descriptor gone since the listing
            continue
    return holders


@pytest.mark.parametrize(
    ("stop", "cut_short"),
    [
        pytest.param(signal.SIGTERM, 0, id="stopped"),
        pytest.param(signal.SIGKILL, 2, id="killed"),
    ],
)
def test_a_server_stopped_or_killed_under_load_costs_no_read(
    tmp_path: Path,
    database: str,
    static_copy: Path,
    redis_url: str,
    stop: signal.Signals,
    cut_short: int,
) -> None:
    """A signal to a server's master and workers at once while eight clients read
    through Nginx: every read is answered, the survivor taking them once Nginx has
    met the stopped server. SIGTERM (a stop or a deploy) lets the workers finish what
    they were answering. SIGKILL, as when the host dies, may cut short an answer
    Nginx had begun to forward, which no proxy can take back: at most one per worker
    killed, and nothing else. A pair of its own: one does not survive."""
    with app_servers(tmp_path, database, static_copy, redis_url) as pair:
        doomed, survivor_log = pair.servers[1], pair.logs[0]

        def read(_: int) -> int | str:
            try:
                return fetch(pair.nginx, "GET", "/api/articles?limit=5")[0]
            except (OSError, http.client.HTTPException) as error:
                return type(error).__name__

        processes = listeners(doomed)
        assert len(processes) == 3  # the master and its two workers
        with ThreadPoolExecutor(max_workers=8) as pool:
            reads = [pool.submit(read, n) for n in range(READS)]
            deadline = time.monotonic() + 30
            while sum(future.done() for future in reads) < READS // 4:
                assert time.monotonic() < deadline, "the reads did not start"
                time.sleep(0.01)
            for pid in processes:
                os.kill(pid, stop)
            killed_at = sum(future.done() for future in reads)
            statuses = Counter(future.result() for future in reads)
        assert statuses[200] >= READS - cut_short, statuses
        assert set(statuses) <= {200, "IncompleteRead"}, statuses
        assert killed_at < READS * 3 // 4, "the kill came too late to be under load"
        with pytest.raises(ConnectionRefusedError):
            fetch(doomed, "GET", "/healthz")
        # Nginx met the dead server and tried the other: the test is not one of luck.
        assert re.search(
            r"(Connection refused|Connection reset|prematurely closed).*upstream",
            pair.error_log.read_text(),
        )
        assert [read(n) for n in range(20)] == [200] * 20
        time.sleep(0.2)
        assert survivor_log.read_text().count("/api/articles") > READS // 2
