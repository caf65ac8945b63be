"""What the three databases' backup mechanisms share: the target, the checks, the tools.

Passwords reach the external tools through their environment variables,
never argv, where any user of the host could read them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from inkwell.config import process_environ
from inkwell.dialects import family
from inkwell.extensions import db

LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump", "mysql": ".sql"}
# Tables every Inkwell database has held since its first migration.
MARKERS = frozenset({"alembic_version", "users"})
TOOL_TIMEOUT_SECONDS = 3600


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


@dataclass(frozen=True)
class Target:
    """The configured database, as the external tools need it."""

    url: sa.URL

    @property
    def kind(self) -> str:
        """`sqlite`, `postgresql` or `mysql` (MariaDB included)."""
        return family(self.url.get_backend_name())

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.kind]


@dataclass(frozen=True)
class Mechanism:
    """How one kind of database is backed up, a backup checked, and restored.

    `check` reads the whole backup before anything is changed; `restore`
    either replaces the content or leaves it as it was.
    """

    backup: Callable[[Target, Path], None]
    check: Callable[[Target, Path], None]
    restore: Callable[[Target, Path], None]


def inkwell_tables() -> set[str]:
    """Every table an Inkwell database holds at the shipped revision."""
    return set(db.metadata.tables) | {"alembic_version"}


def require_inkwell(tables: Iterable[str]) -> None:
    """Refuse a backup of some other application's database."""
    missing = sorted(MARKERS - set(tables))
    if missing:
        raise BackupError(f"it holds no {' or '.join(missing)} table: not Inkwell's database")


def require_revision(revisions: Sequence[str]) -> None:
    """Refuse a backup whose schema revision is unknown, which no upgrade could follow."""
    if len(revisions) != 1:
        raise BackupError("its alembic_version table names no single schema revision")


def first_tool(*names: str) -> str:
    """The first of `names` installed; MariaDB's tools kept MySQL's names as aliases."""
    for name in names:
        if shutil.which(name):
            return name
    raise BackupError(f"none of {', '.join(names)} is installed")


def run(
    command: list[str],
    target: Target,
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
) -> bytes:
    """Run a database tool; what it printed, unless `stdout` took it; its error as one line."""
    env = dict(process_environ())
    if target.url.password:
        env["PGPASSWORD" if target.kind == "postgresql" else "MYSQL_PWD"] = str(target.url.password)
    if not shutil.which(command[0]):
        raise BackupError(f"{command[0]} is not installed")
    try:
        result = subprocess.run(  # noqa: S603  (fixed tools, arguments from our own settings)
            command,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE if stdout is None else stdout,
            stderr=subprocess.PIPE,
            check=False,
            timeout=TOOL_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{command[0]} took more than {TOOL_TIMEOUT_SECONDS}s") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {_reason(command[0], result)}")
    return result.stdout or b""


def _reason(tool: str, result: subprocess.CompletedProcess[bytes]) -> str:
    """The line of a tool's complaint that says what went wrong.

    pg_restore follows its error with the statement that failed, so the
    first line naming an error says more than the last line.
    """
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    errors = [line for line in lines if "error" in line.lower()]
    line = (errors or lines or [f"exit status {result.returncode}"])[0 if errors else -1]
    return re.sub(rf"^{re.escape(tool)}: (error: )?", "", line.strip())
