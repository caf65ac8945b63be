"""Running Inkwell under Gunicorn in a subprocess, for tests over a real socket."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
# One key for the whole run, so a server restarted by a test accepts its tokens.
PRODUCTION_SECRET = secrets.token_urlsafe(48)


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(
    database_url: str,
    instance: Path,
    workers: int = 2,
    seed: tuple[str, ...] = (),
    log: Path | None = None,
    **settings: str,
) -> Iterator[str]:
    """Migrate `database_url`, run `inkwell seed` with `seed` arguments if given, serve
    Inkwell (production settings unless overridden, its public URL its own address),
    and yield the API's URL. With `log`, Gunicorn's access log (stdout) goes to that file."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "INKWELL_ENV": "production",
        "INKWELL_SECRET_KEY": PRODUCTION_SECRET,
        "INKWELL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": database_url,
        "INKWELL_INSTANCE_PATH": str(instance),
        **settings,
    }
    subprocess.run(
        [BIN / "inkwell", "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120
    )
    if seed:
        subprocess.run(
            [BIN / "inkwell", "seed", *seed], env=env, check=True, capture_output=True, timeout=120
        )
    env |= {"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    output = log.open("wb") if log else None
    # A file, not a pipe: an unread pipe fills up and stalls the workers' logging.
    errors = instance / "gunicorn.stderr"
    with (
        errors.open("wb") as error_output,
        subprocess.Popen(
            [BIN / "gunicorn", "--config", str(DEPLOY / "gunicorn.conf.py")],
            env=env,
            stdout=output or subprocess.DEVNULL,
            stderr=error_output,
        ) as process,
    ):
        if output:
            output.close()  # the child holds its own copy
        base = f"http://127.0.0.1:{port}/api"
        try:
            _wait_until_up(base, process, errors)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_up(base: str, process: subprocess.Popen[bytes], errors: Path) -> None:
    """Probe liveness, never an endpoint a test counts: a probe that times out on
    the client may still be answered, and counted, by the server."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base.removesuffix("/api") + "/healthz", timeout=2)
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {errors.read_text()}") from None
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 seconds")


def call(
    base: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """One JSON request to the API at `base`, as a RealWorld client sends it: (status, body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


ROOT = DEPLOY.parent


def worker_environment(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    """The environment `inkwell worker` runs in under test: the checkout on the path,
    so jobs declared in test modules (`tests.jobs.tasks`) can be imported."""
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "INKWELL_ENV": "testing",
        "INKWELL_HEALTH_SAMPLE_SECONDS": "0",
        "DATABASE_URL": database_url,
        "INKWELL_INSTANCE_PATH": str(instance),
        **settings,
    }


def run_worker(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run `inkwell worker` with `arguments` (`--burst`) to its end, from the checkout."""
    return subprocess.run(
        [BIN / "inkwell", "worker", *arguments],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`inkwell worker` running until the block ends, then stopped with SIGTERM as systemd
    does; it must stop cleanly (exit status 0) within ten seconds. Its output goes to `log`."""
    with (
        log.open("wb") as output,
        subprocess.Popen(
            [BIN / "inkwell", "worker"], env=env, cwd=ROOT, stdout=output, stderr=output
        ) as process,
    ):
        try:
            yield process
        finally:
            process.terminate()
            try:
                status = process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        assert status == 0, log.read_text()
