"""Charts for the dashboard, drawn on the server as SVG by leather.

leather writes presentation attributes only (no `style`, no script), so the
SVG goes straight into the page under the strict Content-Security-Policy.
Each chart is a `<figure>` whose caption names it; its numbers are in a
table beside it, for screen readers and for copying.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, date, datetime

import leather
from markupsafe import Markup

WIDTH, HEIGHT = 480, 180
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
INK, MUTED, LINE, ACCENT = "#1f2328", "#59636e", "#e5e7eb", "#2f6f4f"


def _theme() -> None:
    """Inkwell's colours and fonts in place of leather's defaults (module settings)."""
    leather.theme.background_color = "#ffffff"
    leather.theme.margin = 0.04  # of the width; leather reads only a fraction here
    for part in ("title", "legend", "axis_title", "tick"):
        setattr(leather.theme, f"{part}_font_family", FONT)
    leather.theme.tick_font_size = 12
    leather.theme.tick_font_char_height = 13
    leather.theme.tick_font_char_width = 7
    leather.theme.tick_color = LINE
    leather.theme.zero_color = MUTED
    leather.theme.label_color = MUTED
    leather.theme.default_series_colors = [ACCENT, "#8250df", "#bc4c00", "#0969da"]


_theme()


def _day_label(value: object, _index: int, _count: int) -> str:
    if isinstance(value, datetime | date):
        return f"{value.day} {value:%b}"
    return str(value)


def _count_label(value: object, _index: int, _count: int) -> str:
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.0f}" if number == int(number) else ""


def _minute_label(value: object, _index: int, _count: int) -> str:
    if isinstance(value, datetime):
        return f"{value:%H:%M}"
    return str(value)


def _amount_label(value: object, _index: int, _count: int) -> str:
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.0f}" if number >= 10 or number == int(number) else f"{number:.1f}"


def per_day(label: str, days: list[date], values: list[int]) -> Markup:
    """A line of `values` over `days`, as inline SVG labelled `label`."""
    chart = leather.Chart()
    chart.add_x_axis(tick_formatter=_day_label)
    chart.add_y_axis(tick_formatter=_count_label)
    chart.add_y_scale(0, max(max(values, default=0), 1))
    chart.add_line(list(zip(days, values, strict=True)), width=2)
    return _svg(label, chart)


def per_minute(label: str, minutes: list[datetime], values: Sequence[float]) -> Markup:
    """A line of `values` (counts or milliseconds) over `minutes` (UTC), as inline SVG."""
    chart = leather.Chart()
    chart.add_x_axis(tick_formatter=_minute_label)
    chart.add_y_axis(tick_formatter=_amount_label)
    chart.add_y_scale(0, max(max(values, default=0), 1))
    # leather's time scale compares with naive datetimes: UTC, without its zone.
    naive = [minute.astimezone(UTC).replace(tzinfo=None) for minute in minutes]
    chart.add_line(list(zip(naive, values, strict=True)), width=2)
    return _svg(label, chart)


def _svg(label: str, chart: leather.Chart) -> Markup:
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "role": "img",
            "aria-label": label,
            "class": "chart",
        },
    )
    title = ET.SubElement(svg, "title")
    title.text = label
    svg.append(chart.to_svg_group(WIDTH, HEIGHT))
    return Markup(ET.tostring(svg, encoding="unicode"))  # noqa: S704  (escaped by ElementTree)
