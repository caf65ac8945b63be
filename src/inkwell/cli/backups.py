"""`inkwell backup|restore`: the database copied with its own tools, and put back.

Backups are readable by their owner only; a restore checks the whole backup
first and either replaces the database's content or leaves it as it was.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from inkwell.config import Settings
from inkwell.ops import backup as backup_tools


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help=(
        "A folder (a timestamped file is made in it, and the folder made private if new) "
        "or a file. Default: INKWELL_BACKUP_DIR (instance/backups)."
    ),
)
@click.option(
    "--keep", type=click.IntRange(1), default=None, help="Keep only the newest N backups."
)
@with_appcontext
def backup_command(output: Path | None, keep: int | None) -> None:
    """Back up the database online, while the site keeps serving."""
    settings: Settings = current_app.extensions["inkwell.settings"]
    folder = output or settings.backup_dir
    try:
        path = backup_tools.backup(backup_tools.current_target(), folder, keep=keep)
    except backup_tools.BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Backed up to {path} ({path.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace the content of a non-empty database.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup made by `inkwell backup` (under any name) into the configured database.

    A backup that is damaged, cut short or of another database is refused
    before anything changes, and a restore that fails leaves the content as it was.
    """
    try:
        backup_tools.restore(backup_tools.current_target(), path, force=force)
    except backup_tools.BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Restored {path}.")
