"""`inkwell audit export`: the audit log, for archives and other tools."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from inkwell.services.audit import AuditFilter, every_event
from inkwell.transactions import unit_of_work

COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "target_name",
    "reason",
    "detail",
)


@click.group("audit")
def audit_group() -> None:
    """The log of moderation and role actions."""


@audit_group.command("export")
@click.option(
    "--format",
    "form",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="JSON lines, or CSV with a header row.",
)
@click.option("--action", help="Only this action, e.g. user.suspend.")
@click.option("--actor", help="Only entries by this username (or 'command line').")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only entries from this UTC date or time on.",
)
@with_appcontext
def export_command(
    form: str, action: str | None, actor: str | None, since: datetime | None
) -> None:
    """Write the audit log to standard output, oldest entry first."""
    wanted = AuditFilter(
        action=action, actor=actor, since=since.replace(tzinfo=UTC) if since else None
    )
    writer = csv.writer(sys.stdout, lineterminator="\n") if form == "csv" else None
    if writer is not None:
        writer.writerow(COLUMNS)
    with unit_of_work(writes=False):
        for event in every_event(wanted):
            values = [getattr(event, column) for column in COLUMNS]
            values = [v.isoformat() if isinstance(v, datetime) else v for v in values]
            if writer is not None:
                writer.writerow(values)
            else:
                click.echo(json.dumps(dict(zip(COLUMNS, values, strict=True)), ensure_ascii=False))
