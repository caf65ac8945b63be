"""Gunicorn with deploy/gunicorn.conf.py, as the service starts it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.servers import BIN, DEPLOY, free_port


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
        "Error: INKWELL_SECRET_KEY: is required in production: set at least 32 random characters"
    ]
    assert "Traceback" not in result.stderr
