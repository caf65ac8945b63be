"""The `inkwell` command: Flask's CLI plus the operator commands.

Commands are thin: they parse, call services or ops, commit once through
`unit_of_work`, and turn every expected failure into a one-line message with
a non-zero exit (click's ClickException), never a traceback.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any, TextIO

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate.cli import db as migrations_cli

from inkwell import create_app
from inkwell.config import ConfigError, Settings
from inkwell.dialects import family, is_busy
from inkwell.extensions import db
from inkwell.models import User
from inkwell.ops import backup as backup_tools
from inkwell.ops import maintenance, portable
from inkwell.ops.status import count_rows, database_status
from inkwell.passwords import hash_password
from inkwell.seeding import seed
from inkwell.services import totals
from inkwell.services.accounts import register
from inkwell.services.errors import InkwellError
from inkwell.transactions import unit_of_work


class InkwellGroup(FlaskGroup):
    """Flask's group, turning configuration and connection failures into one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as err:
            raise click.ClickException(str(err)) from None
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
            reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            if is_busy(err):
                raise click.ClickException(
                    "the database is busy: another writer held it longer than "
                    f"INKWELL_SQLITE_BUSY_TIMEOUT_MS allows ({reason}); try again"
                ) from None
            raise click.ClickException(f"DATABASE_URL: cannot use the database: {reason}") from None


def _create_app() -> Any:
    try:
        return create_app()
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


cli = InkwellGroup(create_app=_create_app, help="Inkwell, a self-hostable publishing platform.")


def register_commands(app: Flask) -> None:
    """Add the operator commands to the app, where `inkwell` and tests find them."""
    for command in (
        users,
        seed_command,
        check_command,
        backup_command,
        restore_command,
        export_command,
        import_command,
    ):
        app.cli.add_command(command)
    for command in (maintain_command, grants_command):
        migrations_cli.add_command(command)


@click.group()
def users() -> None:
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.argument("email")
@click.option("--admin", is_flag=True, help="Give the account the administrator flag.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(username: str, email: str, admin: bool, password_stdin: bool) -> None:
    """Create an account; asks for the password unless --password-stdin is given."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            user = register(username, email, password, is_admin=admin)
    except InkwellError as err:
        raise click.ClickException(str(err)) from None
    role = "administrator" if admin else "user"
    click.echo(f"Created {role} {user.username} <{user.email}>.")


@click.command("seed")
@click.option("--users", "user_count", type=click.IntRange(0), default=20, show_default=True)
@click.option("--articles", "article_count", type=click.IntRange(0), default=200, show_default=True)
@click.option("--seed", "random_seed", type=int, default=None, help="Make the content repeatable.")
@click.option(
    "--password",
    default="inkwell-demo",
    show_default=True,
    help="Password every seeded account signs in with.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has any user.")
@with_appcontext
def seed_command(
    user_count: int, article_count: int, random_seed: int | None, password: str, if_empty: bool
) -> None:
    """Fill the database with realistic generated users, articles and activity."""
    password_hash = hash_password(password)
    with unit_of_work():
        if if_empty and count_rows(User):
            click.echo("The database already has content; nothing seeded.")
            return
    rng = random.Random(random_seed)  # noqa: S311  (content, not secrets)
    with (
        unit_of_work(),
        click.progressbar(length=article_count, label="Seeding articles", file=sys.stderr) as bar,
    ):
        try:
            summary = seed(
                users=user_count,
                articles=article_count,
                password_hash=password_hash,
                rng=rng,
                progress=bar.update,
            )
        except ValueError as err:
            raise click.ClickException(str(err)) from None
    parts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
    rate = summary.rows / summary.seconds if summary.seconds else 0
    click.echo(f"Wrote {parts} in {summary.seconds:.1f}s ({rate:,.0f} rows/s).")
    if user_count:
        click.echo(f"Seeded accounts sign in with the password {password!r}.")


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Print the effective configuration and whether the database is ready."""
    settings: Settings = current_app.extensions["inkwell.settings"]
    width = max(len(name) for name, _ in settings.describe())
    for name, value in settings.describe():
        click.echo(f"{name:<{width}}  {value}")
    status = database_status()
    click.echo(f"{'database':<{width}}  {status.describe()}")
    if not status.ok:
        raise click.ClickException(status.problem or "database not ready")
    click.echo("ok")


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="A folder (a timestamped file is made in it) or a file. Default: instance/backups.",
)
@click.option(
    "--keep", type=click.IntRange(1), default=None, help="Keep only the newest N backups."
)
@with_appcontext
def backup_command(output: Path | None, keep: int | None) -> None:
    """Back up the database online, while the site keeps serving."""
    folder = output or Path(current_app.instance_path) / "backups"
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
    """Restore a backup made by `inkwell backup` into the configured database."""
    try:
        backup_tools.restore(backup_tools.current_target(), path, force=force)
    except backup_tools.BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Restored {path}.")


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


@click.command("maintain")
@with_appcontext
def maintain_command() -> None:
    """Recount the kept totals, then refresh statistics and reclaim space
    (VACUUM ANALYZE, OPTIMIZE, PRAGMA optimize)."""
    with unit_of_work():
        totals.recount()  # repairs a total that drifted (a hand-edited row, say)
    click.echo("ran: recount published totals")
    db.session.remove()  # optimizing runs outside any transaction
    for statement in maintenance.optimize():
        click.echo(f"ran: {statement}")


@click.command("grants")
@click.option("--app-user", required=True, help="The account the web processes use.")
@click.option("--migrate-user", required=True, help="The account that runs migrations.")
@with_appcontext
def grants_command(app_user: str, migrate_user: str) -> None:
    """Print least-privilege SQL: the app user cannot change the schema."""
    try:
        statements = maintenance.grants(
            family(db.engine.dialect.name),
            maintenance.server_database_name(),
            app_user,
            migrate_user,
        )
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    click.echo("\n".join(statements))


def main() -> None:
    """Entry point of the `inkwell` console script."""
    cli.main(prog_name="inkwell")
