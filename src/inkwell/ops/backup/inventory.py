"""The backups in the backup folder, newest first, and whether the newest is too old.

Backups are the files `inkwell backup` names in a folder (`inkwell-<time>`
and the database's suffix); one written under a name of its own choosing
elsewhere is the operator's to track. A backup's age is its file's
modification time: the moment it was complete and took its final name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inkwell.ops.backup import PREFIX
from inkwell.ops.backup.common import SUFFIXES

STALE_AFTER = timedelta(days=1)
SHOWN = 5


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One backup on disk."""

    name: str
    bytes: int
    made_at: datetime


@dataclass(frozen=True, slots=True)
class Backups:
    """The newest backups in `folder`, and why the folder could not be read if so."""

    folder: Path
    newest: list[BackupFile]
    problem: str | None = None

    def warning(self, now: datetime) -> str | None:
        """What an operator should hear: no backup at all, or none within a day."""
        if self.problem:
            return self.problem
        if not self.newest:
            return f"There is no backup in {self.folder}."
        if now - self.newest[0].made_at > STALE_AFTER:
            return "The newest backup is more than a day old."
        return None


def newest_backups(folder: Path, limit: int = SHOWN) -> Backups:
    """The `limit` newest backups in `folder` (none if it does not exist yet)."""
    found = []
    try:
        for path in folder.iterdir():
            if path.name.startswith(PREFIX) and path.suffix in SUFFIXES.values():
                status = path.stat()
                made = datetime.fromtimestamp(status.st_mtime, UTC)
                found.append(BackupFile(path.name, status.st_size, made))
    except FileNotFoundError:
        return Backups(folder, [])
    except OSError as err:
        return Backups(folder, [], f"Cannot read the backup folder {folder}: {err.strerror}.")
    found.sort(key=lambda backup: backup.made_at, reverse=True)
    return Backups(folder, found[:limit])
