"""`inkwell export|import`: all content as portable JSON lines, between any databases."""

from __future__ import annotations

from typing import TextIO

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from inkwell.ops import portable
from inkwell.transactions import unit_of_work


@click.command("export")
@click.option("--output", type=click.File("w"), default="-", help="File to write; - for stdout.")
@with_appcontext
def export_command(output: TextIO) -> None:
    """Export all content as portable JSON lines (any database can import it)."""
    counts = portable.export(output)
    summary = ", ".join(f"{n} {table}" for table, n in counts.items())
    click.echo(f"Exported {summary}.", err=True)


@click.command("import")
@click.argument("source", type=click.File("r"))
@with_appcontext
def import_command(source: TextIO) -> None:
    """Import a file made by `inkwell export` into an empty, migrated database."""
    try:
        with unit_of_work():
            counts = portable.import_(source)
    except portable.PortableError as err:
        raise click.ClickException(str(err)) from None
    except sa.exc.IntegrityError as err:
        reason = str(err.orig).strip().splitlines()[0]
        raise click.ClickException(f"the export is inconsistent: {reason}") from None
    summary = ", ".join(f"{n} {table}" for table, n in counts.items())
    click.echo(f"Imported {summary}.")
