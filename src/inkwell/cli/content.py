"""Content commands: `inkwell seed` (generated content for demos and benchmarks) and
`inkwell content rerender` (stored article HTML after a renderer upgrade)."""

from __future__ import annotations

import random
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from inkwell.cli.options import batch_size
from inkwell.config import Settings
from inkwell.markdown import RENDERER_VERSION
from inkwell.models import User
from inkwell.ops.status import count_rows
from inkwell.passwords import hash_password
from inkwell.seeding import ARTICLES_MAX, USERS_MAX, seed
from inkwell.seeding.guides import AUTHOR, write_guides
from inkwell.services.accounts import check_password
from inkwell.services.errors import Invalid
from inkwell.services.rendering import RenderingFailed, count_stale, render_stale, store_rendered
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
@click.option(
    "--guides",
    "with_guides",
    is_flag=True,
    help=f"Also write the guides a newcomer reads first, by the account {AUTHOR!r}, "
    "newer than everything else.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has any user.")
@click.option("--force", is_flag=True, help="Seed even with INKWELL_ENV=production.")
@with_appcontext
def seed_command(
    user_count: int,
    article_count: int,
    random_seed: int | None,
    password: str,
    with_guides: bool,
    if_empty: bool,
    force: bool,
) -> None:
    """Fill the database with realistic generated users, articles and activity.

    Meant for demos and benchmarks: every seeded account shares one known
    password, and large loads on PostgreSQL rebuild keys and indexes, so a
    production site is refused unless the operator insists. `--guides` adds the
    articles a newcomer to a demo reads first (`inkwell.seeding.guides`).
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
        guides = write_guides(password_hash) if with_guides else 0
    parts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
    rate = summary.rows / summary.seconds if summary.seconds else 0
    click.echo(f"Wrote {parts} in {summary.seconds:.1f}s ({rate:,.0f} rows/s).")
    if guides:
        click.echo(f"Wrote {guides} guides by {AUTHOR}.")
    elif with_guides:
        click.echo(f"The account {AUTHOR!r} exists: its guides are there already.")
    if user_count or guides:
        click.echo(f"Seeded accounts sign in with the password {password!r}.")


@click.group("content")
def content_group() -> None:
    """Look after stored content."""


@content_group.command("rerender")
@batch_size(100, "Articles rendered and committed together.")
@with_appcontext
def rerender_command(batch_size: int) -> None:
    """Render again every article whose stored HTML another renderer version made.

    Run it after an upgrade: until it has run, articles whose HTML an older
    renderer made are rendered on every read, correct but slow. Each batch
    commits on its own, so the site keeps writing between batches and a run
    that stops keeps what it did; a run finds only what is left, and with
    nothing left it says so.
    """
    with unit_of_work(writes=False):
        total = count_stale()
    if not total:
        click.echo(
            f"Every article's HTML is from renderer version {RENDERER_VERSION}; nothing to do."
        )
        return
    seen = stored = after = 0
    with click.progressbar(length=total, label="Rendering articles", file=sys.stderr) as bar:
        while True:
            # Rendered in a unit that only reads, stored in a short one that writes:
            # on SQLite, rendering while holding the write lock would stall the site.
            try:
                with unit_of_work(writes=False):
                    batch = render_stale(after_id=after, limit=batch_size)
            except RenderingFailed as err:
                raise click.ClickException(
                    f"cannot render {err}; the {stored} articles rendered before it are stored"
                ) from None
            if not batch:
                break
            with unit_of_work():
                stored += store_rendered(batch)
            seen, after = seen + len(batch), batch[-1].article_id
            bar.update(len(batch))
    click.echo(f"Rendered {stored} articles with renderer version {RENDERER_VERSION}.")
    if seen > stored:
        click.echo(
            f"{seen - stored} changed while this ran and were left to the edit that changed "
            "them; run the command again to render any still stale."
        )
