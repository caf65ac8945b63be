"""`inkwell check` and `inkwell db maintain|grants`: the database as an operator sees it."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from inkwell.config import Settings
from inkwell.dialects import family
from inkwell.extensions import db
from inkwell.models import utcnow
from inkwell.ops import maintenance
from inkwell.ops.status import analytics_status, database_status
from inkwell.services import growth, tag_links, totals, views, withholding
from inkwell.transactions import unit_of_work


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Print the effective configuration and whether the database, and the analytics
    database, are ready."""
    settings: Settings = current_app.extensions["inkwell.settings"]
    width = max(len(name) for name, _ in settings.describe())
    for name, value in settings.describe():
        click.echo(f"{name:<{width}}  {value}")
    status = database_status()
    analytics = analytics_status()
    click.echo(f"{'database':<{width}}  {status.describe()}")
    click.echo(f"{'analytics':<{width}}  {analytics.describe()}")
    if not status.ok:
        raise click.ClickException(status.problem or "database not ready")
    if not analytics.ok:
        raise click.ClickException(f"the analytics database: {analytics.problem}")
    click.echo("ok")


@click.command("maintain")
@with_appcontext
def maintain_command() -> None:
    """Withhold the articles of suspended authors, recount the kept totals, copy
    the tag links' publication times, delete the readers' hashes and keys that are
    past keeping, roll up the finished days' figures,
    then refresh statistics and reclaim space (VACUUM ANALYZE, OPTIMIZE, PRAGMA
    optimize)."""
    with unit_of_work():
        # Repairs a figure that drifted (a hand-edited row, say).
        withholding.follow_suspensions()
        totals.recount()
        tag_links.copy_all()
        views.forget_the_past()
    click.echo("ran: withhold the articles of suspended authors")
    click.echo("ran: recount published totals")
    click.echo("ran: copy publication times to tag links")
    click.echo("ran: delete readers' hashes older than a day and finished days' keys")
    with unit_of_work():
        days = growth.roll_up(utcnow().date())
    click.echo(
        f"ran: roll up the dashboard's figures of {days} finished day{'s' if days != 1 else ''}"
    )
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
            tables=maintenance.existing_tables(),
            append_only=maintenance.append_only_tables(),
        )
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    click.echo("\n".join(statements))
