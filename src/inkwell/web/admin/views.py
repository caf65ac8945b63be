"""How much the site is read: views per day over 30 or 365 days, and the most read."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template, request

from inkwell.config import Settings
from inkwell.models import utcnow
from inkwell.services import views
from inkwell.web import charts
from inkwell.web.admin import bp

PERIODS = (30, 365)
MOST_READ = 20


@bp.get("/views")
def views_page() -> str:
    """Views per day, with their numbers, and the period's most read articles."""
    period = request.args.get("days", type=int)
    period = period if period in PERIODS else PERIODS[0]
    today = utcnow().date()
    days = [today - timedelta(days=back) for back in range(period - 1, -1, -1)]
    per_day = views.views_per_day(days[0])
    values = [per_day.get(day, 0) for day in days]
    label = (
        f"Views per day, {period} days: {sum(values):,} in all, at most {max(values):,} in a day"
    )
    settings: Settings = current_app.extensions["inkwell.settings"]
    return render_template(
        "admin/views.html",
        period=period,
        periods=PERIODS,
        days=days,
        values=values,
        chart=charts.per_day(label, days, values),
        most_read=views.most_read(days[0], MOST_READ),
        counting=settings.count_views,
        flush_seconds=settings.views_flush_seconds,
    )
