"""The `inkwell` command: Flask's CLI plus the operator commands.

Commands are thin: they parse, call services or ops, commit once through
`unit_of_work`, and turn every expected failure into a one-line message with
a non-zero exit (click's ClickException), never a traceback. One module per
area: accounts, content (seeding, re-rendering), backups, portable (export and
import), database (check, maintenance, grants), search (the index), jobs (the
background worker and failed jobs), server (the development server).
"""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import FlaskGroup
from flask_migrate.cli import db as migrations_cli

from inkwell import create_app
from inkwell.cli import (
    accounts,
    audit,
    backups,
    content,
    database,
    jobs,
    migrations,
    portable,
    search,
    server,
)
from inkwell.config import ConfigError
from inkwell.dialects import driver_message, is_busy
from inkwell.ops.schema import AnalyticsUnavailable
from inkwell.scaling.jobs import JobsUnavailable


class InkwellGroup(FlaskGroup):
    """Flask's group, turning configuration and database failures into one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, JobsUnavailable, AnalyticsUnavailable) as err:
            raise click.ClickException(str(err)) from None
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as err:
            reason = driver_message(err)
            if is_busy(err):
                raise click.ClickException(
                    "the database is busy: another writer held it longer than "
                    f"INKWELL_SQLITE_BUSY_TIMEOUT_MS allows ({reason}); try again"
                ) from None
            raise click.ClickException(f"DATABASE_URL: cannot use the database: {reason}") from None
        except sa.exc.ProgrammingError as err:
            # Most often a database nobody has migrated yet: its tables are missing.
            reason = driver_message(err)
            raise click.ClickException(
                f"the database refused a statement: {reason} "
                "(if Inkwell's tables are missing, run `inkwell db upgrade`)"
            ) from None


def _create_app() -> Any:
    """The app operator commands run in, without the requests' statement timeout
    (see `create_app`); `inkwell run` builds its own, which serves requests."""
    try:
        return create_app(serving=False)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


# The app's debug mode comes from its settings (FLASK_DEBUG, off in production);
# Flask would otherwise set it from the variable alone after building the app.
cli = InkwellGroup(
    create_app=_create_app,
    set_debug_flag=False,
    help="Inkwell, a self-hostable publishing platform.",
)
cli.add_command(server.run_command)


def register_commands(app: Flask) -> None:
    """Add the operator commands to the app, where `inkwell` and tests find them."""
    for command in (
        accounts.users,
        audit.audit_group,
        content.seed_command,
        content.content_group,
        database.check_command,
        backups.backup_command,
        backups.restore_command,
        portable.export_command,
        portable.import_command,
        search.search_group,
        jobs.worker_command,
        jobs.jobs_group,
    ):
        app.cli.add_command(command)
    for command in (
        database.maintain_command,
        database.grants_command,
        migrations.upgrade_command,
        migrations.check_command,
        migrations.analytics_group,
    ):
        migrations_cli.add_command(command)


def main() -> None:
    """Entry point of the `inkwell` console script."""
    cli.main(prog_name="inkwell")
