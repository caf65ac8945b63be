"""The dashboard's Database page: product, sizes, activity, migration, backups, replicas."""

from __future__ import annotations

from flask import render_template

from inkwell.models import utcnow
from inkwell.ops.database_report import database_report
from inkwell.web.admin import bp


@bp.get("/database")
def database() -> str:
    """What the database says about itself, and the newest backups beside it."""
    now = utcnow()
    return render_template("admin/database.html", report=database_report(now), now=now)
