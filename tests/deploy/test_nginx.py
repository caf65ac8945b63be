"""deploy/nginx.conf and deploy/gunicorn.conf.py, proven end to end on PostgreSQL.

A real Nginx (Debian's package) in front of Gunicorn, each started with the
files from deploy/, and every check made through Nginx.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.deploy.nginx import CLIENT, NGINX, fetch, port_of, require_nginx, running_nginx
from tests.servers import DEPLOY, free_port, gunicorn


def pytest_report_header() -> list[str]:
    return [] if Path(NGINX).exists() else ["Nginx: not installed, deployment test skipped"]


@pytest.fixture(scope="module")
def through_nginx(
    tmp_path_factory: pytest.TempPathFactory, static_copy: Path
) -> Iterator[tuple[int, Path]]:
    """(Nginx's port, Gunicorn's access log) for Inkwell on PostgreSQL behind Nginx."""
    require_nginx()
    postgres = BACKENDS["postgresql"]
    if postgres.problem:
        pytest.skip(f"PostgreSQL not available: {postgres.problem}")
    folder = tmp_path_factory.mktemp("nginx")
    database = postgres.fresh_url("inkwell_test_nginx", folder)
    access_log = folder / "gunicorn.log"
    listen = free_port()
    public = f"http://127.0.0.1:{listen}"
    with (
        gunicorn(
            database, folder, log=access_log, INKWELL_PROXY_HOPS="1", INKWELL_PUBLIC_URL=public
        ) as api,
        running_nginx(folder, listen, static_copy, [port_of(api)]),
    ):
        yield listen, access_log


def test_pages_and_api_answer_with_security_headers(through_nginx: tuple[int, Path]) -> None:
    port, _ = through_nginx
    status, headers, body = fetch(port, "GET", "/")
    assert status == 200 and b"Inkwell" in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    status, headers, body = fetch(port, "GET", "/api/articles")
    assert status == 200 and json.loads(body) == {"articles": [], "articlesCount": 0}


def test_links_name_the_public_url_whatever_host_the_client_sends(
    through_nginx: tuple[int, Path],
) -> None:
    port, _ = through_nginx
    status, _headers, body = fetch(port, "GET", "/robots.txt", Host="attacker.example")
    assert status == 200
    assert f"Sitemap: http://127.0.0.1:{port}/sitemap.xml" in body.decode()


def test_hsts_is_left_to_the_app() -> None:
    """Inkwell sends Strict-Transport-Security; an Nginx that added it too, even in
    the commented TLS block an operator turns on, would send it twice."""
    conf = (DEPLOY / "nginx.conf").read_text() + (DEPLOY / "inkwell_proxy.conf").read_text()
    assert not re.search(r"add_header\s+Strict-Transport-Security", conf, re.IGNORECASE)


def test_static_files_come_from_nginx_with_long_caching(through_nginx: tuple[int, Path]) -> None:
    port, log = through_nginx
    status, headers, body = fetch(port, "GET", "/static/inkwell.css?v=abc", Accept_Encoding="gzip")
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers.get("content-encoding") == "gzip" and b"font" in gzip.decompress(body)
    assert "content-security-policy" not in headers  # the app adds that; Nginx answered alone
    assert "/static/inkwell.css" not in log.read_text()


def test_the_app_sees_the_real_client_address(through_nginx: tuple[int, Path]) -> None:
    port, log = through_nginx
    marker = uuid.uuid4().hex
    status, headers, _ = fetch(port, "GET", f"/api/tags?probe={marker}", X_Forwarded_For="6.6.6.6")
    assert status == 200
    time.sleep(0.2)
    [line] = [json.loads(entry) for entry in log.read_text().splitlines() if marker in entry]
    assert line["remote"] == CLIENT  # not the proxy's 127.0.0.1, not the forged header
    assert line["request_id"] == headers["x-request-id"]


def test_bodies_over_the_limit_are_refused_cleanly(through_nginx: tuple[int, Path]) -> None:
    port, _ = through_nginx
    status, _headers, body = fetch(
        port, "POST", "/api/articles", b"x" * (2 * 1024 * 1024), Content_Type="application/json"
    )
    assert status == 413
    assert json.loads(body) == {"errors": {"body": ["is too large"]}}


def test_sign_in_is_rate_limited_at_the_proxy(through_nginx: tuple[int, Path]) -> None:
    port, _ = through_nginx
    attempt = json.dumps(
        {"user": {"email": "x@example.com", "password": "wrong-password"}}
    ).encode()
    statuses = [
        fetch(port, "POST", "/api/users/login", attempt, Content_Type="application/json")[0]
        for _ in range(12)
    ]
    assert statuses[0] == 401
    assert 429 in statuses
    status, headers, body = fetch(
        port, "POST", "/api/users/login", attempt, Content_Type="application/json"
    )
    assert status == 429 and headers["retry-after"] and json.loads(body)["errors"]["rate"]
