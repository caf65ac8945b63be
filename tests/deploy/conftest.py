"""Fixtures for the deployment tests that run a real Nginx."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import inkwell

STATIC = Path(inkwell.__file__).parent / "static"


@pytest.fixture(scope="session")
def static_copy() -> Iterator[Path]:
    """The static files where Nginx's workers can read them, wherever the checkout is.

    The workers run as an unprivileged user, which cannot enter a checkout in a
    private folder (a clone in root's home, say); a server's install puts the
    files somewhere they can read (see docs/production.md).
    """
    folder = Path(tempfile.mkdtemp(prefix="inkwell-static-"))
    try:
        shutil.copytree(STATIC, folder, dirs_exist_ok=True)
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
