"""`inkwell seed`: generated content for demos and benchmarks."""

from __future__ import annotations

import random
import sys

import click
from flask.cli import with_appcontext

from inkwell.models import User
from inkwell.ops.status import count_rows
from inkwell.passwords import hash_password
from inkwell.seeding import seed
from inkwell.transactions import unit_of_work


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
