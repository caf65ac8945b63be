"""Backup files are private, and a place they cannot be written is one line, not a traceback.

Backups hold every account's email and password hash, so nobody but the
account that made them may read them, whatever the umask.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.databases import Backend
from tests.ops.conftest import app_on
from tests.servers import DEPLOY


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The usual umask, under which new files are readable by everyone."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def app(backend: Backend, tmp_path: Path) -> Iterator[Flask]:
    url = backend.fresh_url("inkwell_test_backup_files", tmp_path)
    with app_on(url, tmp_path) as application:
        yield application


@pytest.mark.usefixtures("permissive_umask")
@pytest.mark.parametrize("output", ["new/backups", "new/backups/b.bak"])
def test_backups_and_the_folders_made_for_them_are_private(
    app: Flask, tmp_path: Path, output: str
) -> None:
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / output)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "new" / "backups"
    (backup,) = folder.iterdir()
    assert (mode(folder), mode(backup)) == (0o700, 0o600)


@pytest.mark.usefixtures("permissive_umask")
def test_a_backup_into_an_existing_folder_is_private(app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(folder)])
    assert result.exit_code == 0, result.output
    (backup,) = folder.iterdir()
    assert mode(backup) == 0o600


@pytest.mark.parametrize("output", ["/proc/nope", "/proc/nope/b.bak", "/proc/version/b.bak"])
def test_an_unwritable_place_is_one_line(app: Flask, output: str) -> None:
    result = app.test_cli_runner().invoke(args=["backup", "--output", output])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "/proc/" in lines[0], lines


def test_the_backup_unit_keeps_what_it_writes_private() -> None:
    unit = (DEPLOY / "systemd" / "inkwell-backup.service").read_text()
    assert re.search(r"^UMask=0077$", unit, re.MULTILINE), unit
