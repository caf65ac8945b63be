"""The dashboard's Health page: requests, errors and latency, slow statements, pool use."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from inkwell.models import utcnow
from inkwell.ops.health_report import HealthReport, health_report
from inkwell.web import charts
from inkwell.web.admin import bp


@bp.get("/health")
def health() -> str:
    """The last hour from the per-minute samples, and totals since the servers started."""
    report = health_report(utcnow())
    return render_template("admin/health.html", report=report, charts=minute_charts(report))


def minute_charts(report: HealthReport) -> dict[str, Markup]:
    """Requests per minute and each minute's p95 latency, when there are two points to join."""
    drawn = {}
    minutes = report.minutes
    if len(minutes) >= 2:
        counts = [m.requests for m in minutes]
        label = f"Requests per minute, last hour: {sum(counts):,} in all, at most {max(counts):,}"
        drawn["requests"] = charts.per_minute(label, [m.start for m in minutes], counts)
    timed = [m for m in minutes if m.p95 is not None]
    if len(timed) >= 2:
        values = [round((m.p95 or 0) * 1000, 1) for m in timed]
        label = f"p95 latency per minute in milliseconds, last hour: at most {max(values):,} ms"
        drawn["p95"] = charts.per_minute(label, [m.start for m in timed], values)
    return drawn
