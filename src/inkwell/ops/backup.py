"""Consistent online backups and restores, with each database's own tools.

- SQLite: the online backup API copies a consistent snapshot while writers
  continue (WAL lets them).
- PostgreSQL: `pg_dump --format=custom` (one snapshot), restored by
  `pg_restore`.
- MariaDB/MySQL: `mariadb-dump --single-transaction` (one consistent InnoDB
  snapshot without locking writers), restored by the `mariadb` client.

Passwords reach the tools through their environment variables, never argv.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from inkwell.config import process_environ
from inkwell.dialects import family
from inkwell.extensions import db

PREFIX = "inkwell-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump", "mysql": ".sql"}


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


def current_target() -> Target:
    """The database the app is configured for."""
    return Target(db.engine.url)


def backup(target: Target, output: Path, *, keep: int | None = None) -> Path:
    """Write a backup; `output` is a folder (a timestamped file is made in it) or a file.

    With `keep`, only the newest `keep` backups in that folder are kept.
    """
    if output.is_dir() or not output.suffix:
        output.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = output / f"{PREFIX}{stamp}{target.suffix}"
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        path = output
    partial = path.with_name(path.name + ".partial")
    {"sqlite": _backup_sqlite, "postgresql": _backup_postgresql, "mysql": _backup_mysql}[
        target.kind
    ](target, partial)
    partial.replace(path)  # only complete backups ever carry the final name
    if keep is not None:
        prune(path.parent, target.suffix, keep)
    return path


def prune(folder: Path, suffix: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (by the timestamp in their names)."""
    backups = sorted(folder.glob(f"{PREFIX}*{suffix}"))
    doomed = backups[: max(0, len(backups) - keep)]
    for path in doomed:
        path.unlink()
    return doomed


def is_empty() -> bool:
    """Whether the database holds no Inkwell tables at all."""
    names = set(sa.inspect(db.engine).get_table_names())
    return not (names & (set(db.metadata.tables) | {"alembic_version"}))


def clear() -> None:
    """Drop every Inkwell table, for a forced restore."""
    db.session.remove()
    db.metadata.drop_all(db.engine)
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def restore(target: Target, path: Path, *, force: bool = False) -> None:
    """Restore `path` into the configured database, which must be empty unless `force`."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    if path.suffix != target.suffix:
        raise BackupError(f"{path.name} is not a {target.kind} backup (expected *{target.suffix})")
    if not is_empty():
        if not force:
            raise BackupError("the database is not empty; use --force to replace its content")
        clear()
    db.engine.dispose()
    {"sqlite": _restore_sqlite, "postgresql": _restore_postgresql, "mysql": _restore_mysql}[
        target.kind
    ](target, path)


def _backup_sqlite(target: Target, path: Path) -> None:
    source = sqlite3.connect(target.url.database or "")
    try:
        copy = sqlite3.connect(path)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()


def _restore_sqlite(target: Target, path: Path) -> None:
    source = sqlite3.connect(path)
    try:
        live = sqlite3.connect(target.url.database or "")
        try:
            source.backup(live)
        finally:
            live.close()
    finally:
        source.close()


def _backup_postgresql(target: Target, path: Path) -> None:
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}", *_pg_args(target)], target)


def _restore_postgresql(target: Target, path: Path) -> None:
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*command, *_pg_args(target), str(path)], target)


def _pg_args(target: Target) -> list[str]:
    url = target.url
    args = [f"--dbname={url.database}"]
    # With no user in the URL, the tools pick the same default the app's driver
    # did (libpq's: PGUSER, else the operating-system user).
    if url.username:
        args.append(f"--username={url.username}")
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    return args


def _backup_mysql(target: Target, path: Path) -> None:
    tool = _first_tool("mariadb-dump", "mysqldump")
    command = [tool, "--single-transaction", "--skip-lock-tables", "--no-tablespaces"]
    with path.open("wb") as out:
        _run([*command, *_mysql_args(target), target.url.database or ""], target, stdout=out)


def _restore_mysql(target: Target, path: Path) -> None:
    tool = _first_tool("mariadb", "mysql")
    with path.open("rb") as dump:
        _run([tool, *_mysql_args(target), target.url.database or ""], target, stdin=dump)


def _mysql_args(target: Target) -> list[str]:
    url = target.url
    args = [f"--user={url.username or 'root'}", f"--host={url.host or 'localhost'}"]
    if url.port:
        args.append(f"--port={url.port}")
    return args


def _first_tool(*names: str) -> str:
    for name in names:
        if shutil.which(name):
            return name
    raise BackupError(f"none of {', '.join(names)} is installed")


def _run(command: list[str], target: Target, **streams: object) -> None:
    env = dict(process_environ())
    if target.url.password:
        env["PGPASSWORD" if target.kind == "postgresql" else "MYSQL_PWD"] = str(target.url.password)
    if not shutil.which(command[0]):
        raise BackupError(f"{command[0]} is not installed")
    result = subprocess.run(  # noqa: S603  (fixed tools, arguments from our own settings)
        command,
        env=env,
        stderr=subprocess.PIPE,
        check=False,
        timeout=3600,
        **streams,  # type: ignore[call-overload]
    )
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{command[0]} failed: {reason[-1] if reason else result.returncode}")
