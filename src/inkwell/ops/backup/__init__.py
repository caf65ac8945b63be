"""Consistent online backups, and restores that never leave a database worse than they found it.

Each database is backed up and restored with its own tools, one module
each: `sqlite` (the online backup API), `postgresql` (`pg_dump`,
`pg_restore`), `mysql` (`mariadb-dump`, the `mariadb` client). Whatever the
database, a backup is private to the account that made it and carries its
final name only once complete; a restore recognises the backup by its
content, reads all of it before changing anything, and either replaces the
database's content or leaves it as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from inkwell.extensions import db
from inkwell.ops.backup import mysql, postgresql, sqlite
from inkwell.ops.backup.common import LABELS, BackupError, Mechanism, Target, inkwell_tables
from inkwell.ops.backup.files import kind_of, private_file, private_folder

__all__ = ["BackupError", "Target", "backup", "current_target", "is_empty", "prune", "restore"]

PREFIX = "inkwell-"
MECHANISMS: dict[str, Mechanism] = {
    "sqlite": sqlite.MECHANISM,
    "postgresql": postgresql.MECHANISM,
    "mysql": mysql.MECHANISM,
}


def current_target() -> Target:
    """The database the app is configured for."""
    return Target(db.engine.url)


def backup(target: Target, output: Path, *, keep: int | None = None) -> Path:
    """Write a backup; `output` is a folder (a timestamped file is made in it) or a file.

    With `keep`, only the newest `keep` backups in that folder are kept.
    """
    try:
        path = _destination(target, output)
        partial = path.with_name(path.name + ".partial")
        _write(target, partial)
        partial.replace(path)  # only complete backups ever carry the final name
    except OSError as err:
        raise BackupError(f"cannot write a backup to {output}: {err.strerror}") from None
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
    return not (set(sa.inspect(db.engine).get_table_names()) & inkwell_tables())


def restore(target: Target, path: Path, *, force: bool = False) -> None:
    """Restore `path` into the configured database, which must be empty unless `force`.

    The backup is checked whole before the database is touched; the database
    then either holds the backup's content or keeps its own.
    """
    kind = kind_of(path)
    if kind != target.kind:
        raise BackupError(
            f"{path.name} is a {LABELS[kind]} backup; this database is {LABELS[target.kind]}"
        )
    mechanism = MECHANISMS[kind]
    try:
        mechanism.check(target, path)
    except (BackupError, OSError) as err:
        raise BackupError(f"{path.name}: {_message(err)}; nothing was restored") from None
    if not force and not is_empty():
        raise BackupError("the database is not empty; use --force to replace its content")
    db.session.remove()
    db.engine.dispose()
    try:
        mechanism.restore(target, path)
    except (BackupError, OSError) as err:
        raise BackupError(f"{path.name}: {_message(err)}") from None


def _destination(target: Target, output: Path) -> Path:
    """The backup's path: a timestamped file in a folder, or the file named."""
    if output.is_dir() or not output.suffix:
        private_folder(output)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return output / f"{PREFIX}{stamp}{target.suffix}"
    private_folder(output.parent)
    return output


def _write(target: Target, partial: Path) -> None:
    private_file(partial)
    try:
        MECHANISMS[target.kind].backup(target, partial)
    except BaseException:
        partial.unlink(missing_ok=True)  # a failed backup leaves nothing behind
        raise


def _message(err: BackupError | OSError) -> str:
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return str(err)
