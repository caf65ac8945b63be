"""`inkwell export|import`: all content as portable JSON lines, between any databases."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from inkwell.dialects import driver_message
from inkwell.ops import portable
from inkwell.transactions import unit_of_work


@click.command("export")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="File to write, replaced only once the export is complete; - for stdout.",
)
@with_appcontext
def export_command(output: str) -> None:
    """Export all content as portable JSON lines (any database can import it)."""
    if output == "-":
        with click.open_file(output, "wb") as stdout:
            counts = portable.export(stdout)
    else:
        try:
            counts = portable.export_file(Path(output))
        except OSError as err:
            raise click.ClickException(f"cannot write {output}: {err.strerror or err}") from None
    summary = ", ".join(f"{n} {table}" for table, n in counts.items())
    click.echo(f"Exported {summary}.", err=True)


@click.command("import")
@click.argument("source", type=click.File("rb"))
@with_appcontext
def import_command(source: IO[bytes]) -> None:
    """Import a file made by `inkwell export` into an empty, migrated database.

    The whole file is checked before anything is written.
    """
    try:
        with unit_of_work():
            counts = portable.import_(source)
    except portable.PortableError as err:
        raise click.ClickException(str(err)) from None
    except sa.exc.IntegrityError as err:
        reason = driver_message(err)
        raise click.ClickException(f"the export is inconsistent: {reason}") from None
    summary = ", ".join(f"{n} {table}" for table, n in counts.items())
    click.echo(f"Imported {summary}.")
