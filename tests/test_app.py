"""The app as a whole: factory, landing page, and the console command's errors."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inkwell import create_app
from inkwell.models import Article
from tests.servers import BIN, free_port


def test_landing_page_lists_the_newest_articles(
    client: Any, make_article: Callable[..., Article], count_queries: Callable
) -> None:
    make_article(title="An older piece")
    make_article(title="The <newest> piece", tags=("news",))
    make_article(title="Secret draft", publish=False)
    with count_queries() as statements:
        response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index("The &lt;newest&gt; piece") < page.index("An older piece")
    assert "Secret draft" not in page
    # The content version (the response cache's key), the page with its tags, and
    # the sidebar's tags; the next reader's page is the kept one, the version alone.
    assert statements() == 3
    with count_queries() as statements:
        assert client.get("/").get_data(as_text=True) == page
    assert statements() == 1


def inkwell(tmp_path: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "INKWELL_INSTANCE_PATH": str(tmp_path),
        **environ,
    }
    command = [str(Path(sys.executable).parent / "inkwell"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_URL": "definitely not a url"}, "Error: DATABASE_URL: is not a database URL"),
        ({"DATABASE_URL": "oracle://db/x"}, "Error: DATABASE_URL: unsupported driver 'oracle'"),
        (
            {"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"},
            "Error: DATABASE_URL: cannot",
        ),
        ({"INKWELL_ENV": "production"}, "Error: INKWELL_SECRET_KEY: is required in production"),
    ],
)
def test_bad_configuration_is_one_line_and_a_failure(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    for args in (["check"], ["db", "upgrade"]):
        result = inkwell(tmp_path, *args, **environ)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(message)


PRODUCTION = {
    "INKWELL_ENV": "production",
    "INKWELL_SECRET_KEY": secrets.token_urlsafe(48),
    "INKWELL_PUBLIC_URL": "https://blog.example.com",
    "FLASK_DEBUG": "1",
}


def test_production_keeps_debug_off_whatever_flask_debug_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")  # Flask reads it by itself too
    app = create_app(
        {
            **PRODUCTION,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
            "INKWELL_INSTANCE_PATH": str(tmp_path),
        }
    )

    def fail() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/fail", "fail", fail)
    assert app.debug is False
    response = app.test_client().get("/fail")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "RuntimeError" not in page


def test_inkwell_run_in_production_serves_no_debugger(tmp_path: Path) -> None:
    """Werkzeug's debugger answers `?__debugger__=yes` itself, before the app sees it."""
    environ = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}"}
    assert inkwell(tmp_path, "db", "upgrade", **environ).returncode == 0
    port = free_port()
    command = [str(BIN / "inkwell"), "run", "--port", str(port)]
    errors = tmp_path / "run.stderr"
    env = {"PATH": os.environ["PATH"], "INKWELL_INSTANCE_PATH": str(tmp_path), **environ}
    with (
        errors.open("wb") as stderr,
        subprocess.Popen(
            command, env=env, stdout=stderr, stderr=stderr, start_new_session=True
        ) as server,
    ):
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/healthz", server)
            probe = f"{base}/?__debugger__=yes&cmd=resource&f=debugger.js"
            with urllib.request.urlopen(probe, timeout=10) as answer:
                assert answer.headers["Content-Type"].startswith("text/html")
                assert b"Inkwell" in answer.read()
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # the reloader, if any, is in its group
            server.wait(timeout=30)
    output = errors.read_text()
    assert "Debug mode: off" in output
    assert "Debugger is active" not in output and "Restarting with" not in output


def test_inkwell_run_refuses_the_debugger_in_production(tmp_path: Path) -> None:
    for flag in ("--debugger", "--reload"):
        result = inkwell(
            tmp_path, "run", flag, **PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}"
        )
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            "Error: --reload and --debugger are development tools, "
            "refused with INKWELL_ENV=production"
        ]


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            assert process.poll() is None, "the server exited"
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")
