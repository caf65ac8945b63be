"""Gunicorn with deploy/gunicorn.conf.py, as the service starts it."""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from inkwell.api.blueprint import REQUEST_LINE_MAX
from tests.servers import BIN, DEPLOY, free_port, gunicorn


def test_a_bad_setting_stops_gunicorn_with_one_line(tmp_path: Path) -> None:
    environ = {
        "PATH": os.environ["PATH"],
        "INKWELL_ENV": "production",
        "INKWELL_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'inkwell.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    result = subprocess.run(
        [BIN / "gunicorn", "--config", str(DEPLOY / "gunicorn.conf.py")],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "Error" in line]
    assert errors == [
        "Error: INKWELL_SECRET_KEY: is required in production: make one with "
        "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    ]
    assert "Traceback" not in result.stderr


def test_request_lines_up_to_the_documented_limit_reach_the_api(tmp_path: Path) -> None:
    """Beyond it, Gunicorn answers 414 itself, as the OpenAPI document says."""
    with gunicorn(f"sqlite:///{tmp_path / 'inkwell.sqlite3'}", tmp_path, workers=1) as api:
        path = "/api/articles?tag="
        # "GET <path> HTTP/1.1" is the request line the limit counts.
        room = REQUEST_LINE_MAX - len(f"GET {path} HTTP/1.1")
        with urllib.request.urlopen(api.removesuffix("/api") + path + "t" * room) as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"].startswith("application/json")
        try:
            urllib.request.urlopen(api.removesuffix("/api") + path + "t" * (room + 1))
        except urllib.error.HTTPError as error:
            with error:
                assert error.code == 414
                assert error.headers["Content-Type"].startswith("text/html")
        else:
            raise AssertionError("a request line over the limit was accepted")
