"""`inkwell seed`: generated content for demos and benchmarks."""

from __future__ import annotations

import random
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from inkwell.config import Settings
from inkwell.models import User
from inkwell.ops.status import count_rows
from inkwell.passwords import hash_password
from inkwell.seeding import ARTICLES_MAX, USERS_MAX, seed
from inkwell.services.accounts import check_password
from inkwell.services.errors import Invalid
from inkwell.transactions import unit_of_work


@click.command("seed")
@click.option(
    "--users", "user_count", type=click.IntRange(0, USERS_MAX), default=20, show_default=True
)
@click.option(
    "--articles",
    "article_count",
    type=click.IntRange(0, ARTICLES_MAX),
    default=200,
    show_default=True,
)
@click.option("--seed", "random_seed", type=int, default=None, help="Make the content repeatable.")
@click.option(
    "--password",
    default="inkwell-demo",
    show_default=True,
    help="Password every seeded account signs in with.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has any user.")
@click.option("--force", is_flag=True, help="Seed even with INKWELL_ENV=production.")
@with_appcontext
def seed_command(
    user_count: int,
    article_count: int,
    random_seed: int | None,
    password: str,
    if_empty: bool,
    force: bool,
) -> None:
    """Fill the database with realistic generated users, articles and activity.

    Meant for demos and benchmarks: every seeded account shares one known
    password, and large loads on PostgreSQL rebuild keys and indexes, so a
    production site is refused unless the operator insists.
    """
    settings: Settings = current_app.extensions["inkwell.settings"]
    if settings.environment == "production" and not force:
        raise click.ClickException(
            "refusing to seed a production site (INKWELL_ENV=production): seeded accounts "
            "share one known password; pass --force if you mean it"
        )
    try:
        check_password(password)
    except Invalid as error:
        raise click.BadParameter(
            "; ".join(error.errors["password"]), param_hint="'--password'"
        ) from None
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
