"""The systemd units in deploy/ are valid, and the commands they start really work.

`systemd-analyze verify` checks each unit (with this checkout's paths standing
in for /srv/inkwell); the backup unit's ExecStart is then run as written,
against a real database, and must leave a backup behind; two instances of the
app server template run side by side from its lines, as systemd would start them;
and the worker unit's must serve Redis until SIGTERM stops it cleanly.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from rq import Worker

from tests.servers import DEPLOY, PRODUCTION_SECRET, _wait_until_up, free_port

VENV_BIN = Path(sys.executable).parent
ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
UNITS = DEPLOY / "systemd"


def localise(text: str, folder: Path) -> str:
    """The unit as it would run from this checkout, as root, with files under `folder`."""
    replacements = {
        "/srv/inkwell/.venv/bin/": f"{VENV_BIN}/",
        "/srv/inkwell/deploy/": f"{DEPLOY}/",
        "WorkingDirectory=/srv/inkwell": f"WorkingDirectory={folder}",
        "/etc/inkwell/inkwell.env": str(folder / "inkwell.env"),
        "/var/backups/inkwell": str(folder / "backups"),
        "/var/lib/inkwell": str(folder),
        "/run/inkwell": str(folder / "run"),
        "User=inkwell": "User=root",
        "Group=inkwell": "Group=root",
    }
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


@pytest.fixture
def units(tmp_path: Path) -> Path:
    if not Path(ANALYZE).exists():
        if os.environ.get("CI"):
            pytest.fail("CI requires systemd-analyze (Debian's systemd package)")
        pytest.skip("systemd-analyze is not installed")
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(localise(unit.read_text(), tmp_path))
    (tmp_path / "inkwell.env").write_text(
        f"DATABASE_URL=sqlite:///{tmp_path / 'site.sqlite3'}\nINKWELL_SECRET_KEY={PRODUCTION_SECRET}\n"
        "INKWELL_PUBLIC_URL=https://blog.example.com\n"
    )
    return tmp_path


def test_units_pass_systemd_analyze_verify(units: Path) -> None:
    services = sorted(str(path) for path in units.glob("inkwell*.service"))
    names = [*services, str(units / "inkwell-backup.timer")]
    result = subprocess.run(
        [ANALYZE, "verify", *names], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "inkwell" not in result.stderr, result.stderr  # no warnings about our units


def test_the_backup_timer_is_nightly(units: Path) -> None:
    timer = (units / "inkwell-backup.timer").read_text()
    calendar = re.search(r"^OnCalendar=(.+)$", timer, re.MULTILINE)
    assert calendar
    result = subprocess.run(
        [ANALYZE, "calendar", calendar.group(1)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "03:15:00" in result.stdout


def unit_command(service: str, units: Path) -> tuple[list[str], dict[str, str]]:
    """The ExecStart of a unit's text, and the environment systemd would give it:
    its Environment= lines, then the settings file, and PATH."""
    environment = dict(re.findall(r"^Environment=(\w+)=(.*)$", service, re.MULTILINE))
    environment |= dict(
        line.split("=", 1) for line in (units / "inkwell.env").read_text().splitlines()
    )
    environment["PATH"] = os.environ["PATH"]
    command = shlex.split(re.search(r"^ExecStart=(.+)$", service, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return command, environment


def test_the_backup_unit_command_makes_a_backup(units: Path) -> None:
    command, environment = unit_command((units / "inkwell-backup.service").read_text(), units)
    subprocess.run(
        [str(VENV_BIN / "inkwell"), "db", "upgrade"],
        env=environment,
        check=True,
        capture_output=True,
    )
    assert "--keep" in command  # pruning itself is drilled in tests/ops/test_backups.py
    for _ in range(2):
        subprocess.run(command, env=environment, check=True, capture_output=True, cwd=units)
    backups = sorted((units / "backups").glob("inkwell-*.sqlite3"))
    assert len(backups) == 2 and all(path.stat().st_size > 0 for path in backups)


def test_two_instances_of_the_app_server_template_run_side_by_side(units: Path) -> None:
    """Each on the port its instance names, neither emptying the other's metrics
    folder when it starts: a request answered by the first is still counted after
    the second has started."""
    template = (units / "inkwell@.service").read_text()
    ports = [free_port(), free_port()]
    started = [unit_command(template.replace("%i", str(port)), units) for port in ports]
    subprocess.run(
        [str(VENV_BIN / "inkwell"), "db", "upgrade"],
        env=started[0][1],
        check=True,
        capture_output=True,
    )
    with ExitStack() as stack:
        for (command, environment), port in zip(started, ports, strict=True):
            errors = units / f"gunicorn-{port}.stderr"
            process = stack.enter_context(
                subprocess.Popen(
                    command,
                    env=environment | {"GUNICORN_WORKERS": "1"},
                    cwd=units,
                    stdout=subprocess.DEVNULL,
                    stderr=stack.enter_context(errors.open("wb")),
                )
            )
            stack.callback(process.terminate)
            _wait_until_up(f"http://127.0.0.1:{port}/api", process, errors)
            with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/api/tags") as answer:
                assert answer.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/metrics") as answer:
            metrics = answer.read().decode()
    assert re.search(
        r'^inkwell_http_requests_total\{endpoint="api.tags",method="GET",status="200"\} 2.0$',
        metrics,
        re.MULTILINE,
    ), metrics


def test_the_worker_unit_command_works_until_sigterm(units: Path, jobs_redis: str) -> None:
    """systemd stops the worker with SIGTERM (KillMode=mixed): it exits 0, promptly when idle."""
    command, environment = unit_command((units / "inkwell-worker.service").read_text(), units)
    environment["INKWELL_REDIS_URL"] = jobs_redis
    connection = redis.Redis.from_url(jobs_redis)
    with subprocess.Popen(
        command, env=environment, cwd=units, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as worker:
        deadline = time.monotonic() + 20
        while not Worker.all(connection=connection) and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            time.sleep(0.2)
        assert Worker.all(connection=connection), "the worker never registered with Redis"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    assert not Worker.all(connection=connection)
