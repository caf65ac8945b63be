"""`inkwell db upgrade` and `inkwell db check` for both databases, and `inkwell db
analytics ...`: every Flask-Migrate command, on the analytics migrations alone."""

from __future__ import annotations

from typing import Any

import click
from flask import g
from flask.cli import with_appcontext
from flask_migrate import cli as flask_migrate_cli

from inkwell.ops import schema


@click.command("upgrade")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
@click.argument("revision", default="head")
@with_appcontext
def upgrade_command(sql: bool, revision: str) -> None:
    """Upgrade the main database to REVISION (default: the newest) and the analytics
    database to its newest."""
    schema.upgrade(revision, sql=sql)


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Fail if either database's schema differs from the models or has migrations to run."""
    try:
        schema.check()
    except schema.SchemaDrift as drift:
        raise click.ClickException(str(drift)) from None
    click.echo("No drift: both databases match the models.")


ON_ANALYTICS = (
    "upgrade",
    "downgrade",
    "current",
    "history",
    "heads",
    "show",
    "stamp",
    "check",
    "revision",
    "migrate",
)


class AnalyticsGroup(click.Group):
    """Its commands' failures to reach an analytics database of its own name its setting."""

    def invoke(self, ctx: click.Context) -> Any:
        with schema.on_analytics():
            return super().invoke(ctx)


@click.group(
    "analytics",
    cls=AnalyticsGroup,
    commands={name: getattr(flask_migrate_cli, name) for name in ON_ANALYTICS},
)
@with_appcontext
def analytics_group() -> None:
    """Flask-Migrate's commands on the analytics database's migrations alone
    (`inkwell db analytics downgrade base`, `... revision --autogenerate -m ...`)."""
    g.directory = str(schema.ANALYTICS_MIGRATIONS)
