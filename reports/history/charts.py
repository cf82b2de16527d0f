"""The 90-day health trend as inline SVG, drawn like reports.dashboards.charts: no
script, no inline style (the CSP allows neither); colours from app.css classes.

One column a day, its height split by the share of active devices in each health. A
day without a snapshot is a gap. Columns link nowhere: the reports list devices as they
are now, and nothing there backs a past day's figures. The text alternative is the
<title> and <desc> here, and the day-by-day table the overview puts beside it.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from reports.health import Health
from reports.history.reading import TREND_DAYS, Figures

WIDTH, HEIGHT = 1160, 220  # about the card's width on a desktop: text keeps its size
LEFT, TOP, BOTTOM = 40, 10, 40  # room for the axis labels and the legend
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
ORDER = (Health.OK, Health.WARNING, Health.CRITICAL, Health.NEVER)  # bottom up

_ids = itertools.count(1)


def _share(figures: Figures, health: Health) -> float:
    return getattr(figures, health.value) / figures.devices if figures.devices else 0.0


def _column(day: dt.date, figures: Figures, x: float, width: float) -> SafeString:
    y = TOP + PLOT_HEIGHT
    parts = []
    for health in ORDER:
        height = _share(figures, health) * PLOT_HEIGHT
        if height > 0:
            y -= height
            parts.append(
                format_html(
                    '<rect class="chart-bar bar-{}" x="{}" y="{}" width="{}" height="{}"></rect>',
                    health.value,
                    f"{x:.1f}",
                    f"{y:.1f}",
                    f"{width:.1f}",
                    f"{height:.1f}",
                )
            )
    return format_html(
        '<g class="trend-day"><title>{}</title>{}</g>',
        describe_day(day, figures),
        format_html_join("", "{}", ((p,) for p in parts)),
    )


def describe_day(day: dt.date, figures: Figures) -> str:
    if not figures.devices:
        return f"{day:%Y-%m-%d}: no active devices"
    counts = ", ".join(f"{getattr(figures, h.value):,} {h.label.lower()}" for h in ORDER)
    return f"{day:%Y-%m-%d}: {100 * figures.ok_share:.0f}% OK of {figures.devices:,} ({counts})"


def _axis() -> SafeString:
    lines = []
    for percent in (0, 50, 100):
        y = TOP + PLOT_HEIGHT * (1 - percent / 100)
        lines.append(
            format_html(
                '<line class="trend-grid" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
                '<text class="chart-value" x="{}" y="{}" text-anchor="end">{}%</text>',
                LEFT,
                f"{y:.1f}",
                WIDTH,
                f"{y:.1f}",
                LEFT - 6,
                f"{y + 4:.1f}",
                percent,
            )
        )
    return format_html_join("", "{}", ((line,) for line in lines))


def _labels(first: dt.date, last: dt.date, step: float) -> SafeString:
    y = TOP + PLOT_HEIGHT + 15
    days = (last - first).days
    ticks = [(first, "start"), (first + dt.timedelta(days=days // 2), "middle"), (last, "end")]
    return format_html_join(
        "",
        '<text class="chart-value" x="{}" y="{}" text-anchor="{}">{}</text>',
        (
            (f"{LEFT + ((d - first).days + 0.5) * step:.1f}", y, anchor, f"{d:%b %-d}")
            for d, anchor in ticks
        ),
    )


def _legend() -> SafeString:
    y = HEIGHT - 10
    items = []
    for i, health in enumerate(ORDER):
        x = LEFT + i * 140
        items.append(
            format_html(
                '<rect class="chart-bar bar-{}" x="{}" y="{}" width="10" height="10" rx="2"></rect>'
                '<text class="chart-label" x="{}" y="{}">{}</text>',
                health.value,
                x,
                y - 9,
                x + 14,
                y,
                health.label,
            )
        )
    return format_html_join("", "{}", ((item,) for item in items))


def trend_chart(
    points: list[tuple[dt.date, Figures]], today: dt.date, days: int = TREND_DAYS
) -> SafeString:
    """Share of active devices by health on each of the last `days` days up to today."""
    if not points:
        return format_html(
            '<p class="empty-chart">{}</p>',
            "No history yet: the first snapshot comes with the next import, sync or "
            "daily snapshot.",
        )
    chart_id = f"trend-{next(_ids)}"
    first = today - dt.timedelta(days=days - 1)
    step = (WIDTH - LEFT) / days
    columns = format_html_join(
        "",
        "{}",
        (
            (_column(day, figures, LEFT + (day - first).days * step + 0.5, step - 1),)
            for day, figures in points
        ),
    )
    (start_day, start), (end_day, end) = points[0], points[-1]
    description = (
        f"{len(points)} day(s) with a snapshot from {start_day:%Y-%m-%d} to {end_day:%Y-%m-%d}. "
        f"First: {describe_day(start_day, start)}. Latest: {describe_day(end_day, end)}."
    )
    return format_html(
        '<svg class="chart trend" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d"'
        ' xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        f"Backup health of active devices, last {days} days",
        chart_id,
        description,
        _axis(),
        columns,
        _labels(first, today, step),
        _legend(),
    )
