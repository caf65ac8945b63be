"""A real Nginx (Debian's package) run from deploy/nginx.conf, for tests through it.

The configuration is the one an operator installs, with only the addresses,
paths and (for several app servers) the documented swap of the upstream block
for an include of deploy/inkwell_upstream.conf changed.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import DEPLOY

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENT = "127.0.0.2"  # a loopback address other than the proxy's own
UPSTREAM_BLOCK = re.compile(r"^upstream inkwell \{\n.*?^\}\n", re.MULTILINE | re.DOTALL)
SERVER_ADDRESS = re.compile(r"^(\s*server\s+)[^\s;]+", re.MULTILINE)


def port_of(base: str) -> int:
    """The port of a server `tests.servers.gunicorn` yielded the URL of."""
    return int(base.rsplit(":", 1)[1].split("/")[0])


def require_nginx() -> None:
    """Skip the test when Nginx is not installed; on CI, fail it."""
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("CI requires Nginx (apt-get install -y nginx)")
        pytest.skip("Nginx is not installed (apt-get install -y nginx)")


def render(site: Path, listen: int, static: Path, upstreams: list[int]) -> str:
    """deploy/nginx.conf in an http block of its own under `site`, listening on
    `listen`, serving static files from `static`, and proxying to the app servers
    on `upstreams`: one as nginx.conf names it, several through
    deploy/inkwell_upstream.conf, included as docs/scaling.md says."""
    conf = (DEPLOY / "nginx.conf").read_text()
    if len(upstreams) == 1:
        conf = conf.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstreams[0]};")
    else:
        included = site / "inkwell_upstream.conf"
        included.write_text(with_servers((DEPLOY / "inkwell_upstream.conf").read_text(), upstreams))
        conf, swapped = UPSTREAM_BLOCK.subn(f"include {included};\n", conf)
        assert swapped == 1, "nginx.conf has no upstream block to replace"
    conf = conf.replace(
        "    listen 80;\n    server_name blog.example.com;", f"    listen 127.0.0.1:{listen};", 1
    )
    conf = conf.replace(
        "/srv/inkwell/.venv/lib/python3.11/site-packages/inkwell/static/", f"{static}/"
    )
    conf = conf.replace("/etc/nginx/inkwell_proxy.conf", str(DEPLOY / "inkwell_proxy.conf"))
    return f"""
worker_processes 2;
pid {site}/nginx.pid;
error_log {site}/error.log;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    access_log {site}/access.log;
    client_body_temp_path {site}/body;
    proxy_temp_path {site}/proxy;
    fastcgi_temp_path {site}/fastcgi;
    uwsgi_temp_path {site}/uwsgi;
    scgi_temp_path {site}/scgi;
{conf}
}}
"""


def with_servers(upstream: str, ports: list[int]) -> str:
    """deploy/inkwell_upstream.conf with its server lines, in order, on `ports`."""
    addresses = iter(f"127.0.0.1:{port}" for port in ports)
    rendered, count = SERVER_ADDRESS.subn(lambda match: match.group(1) + next(addresses), upstream)
    assert count == len(ports), f"inkwell_upstream.conf lists {count} servers, not {len(ports)}"
    return rendered


@contextmanager
def running_nginx(site: Path, listen: int, static: Path, upstreams: list[int]) -> Iterator[int]:
    """Nginx serving `render`'s configuration, checked with `nginx -t` first; its port."""
    (site / "nginx.conf").write_text(render(site, listen, static, upstreams))
    command = [NGINX, "-c", str(site / "nginx.conf"), "-p", str(site), "-g", "daemon off;"]
    check = subprocess.run([*command[:5], "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    with subprocess.Popen(command, stderr=subprocess.PIPE) as nginx:
        try:
            for _ in range(100):
                probe = http.client.HTTPConnection("127.0.0.1", listen, timeout=1)
                try:
                    probe.request("GET", "/healthz")
                    probe.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.05)
                finally:
                    probe.close()
            yield listen
        finally:
            nginx.terminate()
            nginx.wait(timeout=20)


def fetch(
    port: int, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    """One request to 127.0.0.1:`port` from CLIENT: (status, headers by lower-cased name,
    the last of each name, body). Header names are given with `_` for `-`."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(CLIENT, 0)
    )
    try:
        connection.request(
            method, path, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data
