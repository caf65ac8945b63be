"""The dashboard's first page: the site in a few figures, and what was done lately."""

from __future__ import annotations

from flask import render_template

from inkwell.models import utcnow
from inkwell.services import audit, growth, oversight
from inkwell.services.audit import AuditFilter
from inkwell.web.admin import bp
from inkwell.web.admin.growth import day_charts, rolled_up


@bp.get("/")
def home() -> str:
    """Figures kept or cheap to count, the last 30 days in charts, and the newest
    audit entries."""
    rolled_up()
    month = growth.growth(utcnow(), 30, with_leaders=False)
    return render_template(
        "admin/home.html",
        figures=oversight.site_figures(),
        month=month,
        charts=day_charts(month),
        labels=growth.LABELS,
        recent=audit.events(AuditFilter(), limit=10),
    )
