"""Backup files on disk: private from their first byte, and known by their content.

A backup holds every account's email and password hash. It is created
readable by its owner only before anything is written into it, whatever the
umask, so there is no moment when another user could open it. Its kind is read
from its first bytes, never from its name, so a backup made under any name
restores, and a backup of another kind of database is named as such.
"""

from __future__ import annotations

import os
from pathlib import Path

from inkwell.ops.backup.common import BackupError

HEAD_BYTES = 512
SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# mariadb-dump may put its sandbox-mode line before this header.
DUMP_HEADERS = (b"-- MariaDB dump", b"-- MySQL dump")


def private_folder(folder: Path) -> None:
    """Create `folder` readable by its owner only; one that exists is the operator's to set."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise BackupError(f"{folder} is a file, not a folder") from None


def private_file(path: Path) -> None:
    """Create `path` empty and readable by its owner only, before any byte goes into it.

    Every backup tool then writes into this file (truncating it), which keeps
    its mode; SQLite gives its journal the database file's mode.
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # a leftover from an interrupted backup may be wider
    finally:
        os.close(descriptor)


def kind_of(path: Path) -> str:
    """Which database `path` is a backup of: `sqlite`, `postgresql` or `mysql`."""
    head = _head(path)
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    if any(line.startswith(DUMP_HEADERS) for line in head.splitlines()[:3]):
        return "mysql"
    raise BackupError(
        f"{path.name} is not a backup: it is none of an SQLite database, "
        "a pg_dump archive (custom format) or a mariadb-dump file"
    )


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(HEAD_BYTES)
    except FileNotFoundError:
        raise BackupError(f"{path}: no such backup file") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a folder, not a backup file") from None
    except OSError as err:
        raise BackupError(f"{path}: cannot read it ({err.strerror})") from None
