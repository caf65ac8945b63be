"""The site's growth in charts: per day over 30 or 365 days, and the period's leaders."""

from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from inkwell.models import utcnow
from inkwell.services import growth
from inkwell.transactions import followed_by_write
from inkwell.web import charts
from inkwell.web.admin import bp

PERIODS = (30, 365)


def rolled_up() -> None:
    """Count the finished days not counted yet: normally yesterday alone, on the
    first visit of the day, in a short write of its own."""
    today = utcnow().date()
    if growth.needs_roll_up(today, growth.rolled_up_to()):
        with followed_by_write():
            growth.roll_up(today)


@bp.get("/growth")
def growth_page() -> str:
    """Articles, comments, sign-ups and favorites per day, with tables of the numbers."""
    period = request.args.get("days", type=int)
    period = period if period in PERIODS else PERIODS[0]
    rolled_up()
    figures = growth.growth(utcnow(), period)
    return render_template(
        "admin/growth.html",
        period=period,
        periods=PERIODS,
        figures=figures,
        charts=day_charts(figures),
        labels=growth.LABELS,
    )


def day_charts(figures: growth.Growth) -> dict[str, Markup]:
    """One chart per total, each labelled with what a listener needs from it."""
    drawn = {}
    for kind, values in figures.totals.items():
        label = (
            f"{growth.LABELS[kind]} per day, {len(values)} days: {sum(values):,} in all, "
            f"at most {max(values):,} in a day"
        )
        drawn[kind] = charts.per_day(label, figures.days, values)
    return drawn
