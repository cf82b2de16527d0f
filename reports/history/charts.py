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
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from reports.chart_paint import GRID_STROKE, LABEL_TEXT, VALUE_TEXT, fill_of
from reports.health import Health, Thresholds
from reports.history.reading import Figures, thresholds_changed, trend_days
from reports.history.templatetags import history_format
from reports.templatetags.backup_format import counted, safe_format

LEFT, TOP = 48, 10  # room for the axis labels ("100%" at a phone's larger type)
LEGEND_ROW = 20
ORDER = (Health.OK, Health.WARNING, Health.CRITICAL, Health.NEVER)  # bottom up

_ids = itertools.count(1)


@dataclass(frozen=True)
class Shape:
    """A trend chart's size in SVG units, about the size it is drawn at, so that its
    text keeps its size: the wide one for a desktop's card, the narrow one for a phone
    (app.css shows one of the two)."""

    name: str
    width: int
    plot_height: int
    legend_columns: int

    @property
    def legend_top(self) -> float:
        return TOP + self.plot_height + 26

    @property
    def height(self) -> int:
        rows = -(-len(ORDER) // self.legend_columns)
        return int(self.legend_top + rows * LEGEND_ROW)


WIDE = Shape("wide", width=1160, plot_height=170, legend_columns=4)
NARROW = Shape("narrow", width=360, plot_height=170, legend_columns=2)


@dataclass(frozen=True)
class Axis:
    """The vertical axis, fitted to the data: from a round share under the lowest OK
    share to 100%, so that a rise from 77% to 84% OK shows (a fixed 0-100% flattens it).
    Below the axis's floor every column is OK, so nothing is hidden but OK's base."""

    floor: int  # percent
    plot_height: int

    @classmethod
    def fitted(cls, points: list[tuple[dt.date, Figures]], plot_height: int) -> Axis:
        lowest = min((_share(f, Health.OK) for _, f in points if f.devices), default=0.0)
        floor = max(0, min(90, int((100 * lowest - 5) // 10) * 10))
        return cls(floor, plot_height)

    def y(self, percent: float) -> float:
        return TOP + self.plot_height * (100 - max(percent, self.floor)) / (100 - self.floor)


def _share(figures: Figures, health: Health) -> float:
    return getattr(figures, health.value) / figures.devices if figures.devices else 0.0


def _stack(figures: Figures, axis: Axis) -> list[tuple[Health, float, float]]:
    """A day's column, bottom up: each health's part with room to draw, its top and
    bottom y."""
    parts = []
    below = 0.0  # percent of the column under this health's part
    for health in ORDER:
        above = below + 100 * _share(figures, health)
        bottom, top = axis.y(below), axis.y(above)
        if bottom - top > 0:
            parts.append((health, top, bottom))
        below = above
    return parts


def _column(
    day: dt.date, figures: Figures, x: float, width: float, axis: Axis, today: dt.date
) -> SafeString:
    # safe_format, not format_html: the same escaping, without format_html's checks of
    # every argument, which were most of the chart's time. The overview draws it twice
    # (a desktop's and a phone's), 728 rectangles at 90 days: 15 ms of its 40 (2026-12-07).
    parts = "".join(
        safe_format(
            '<rect class="chart-bar bar-{}" x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>',
            health.value,
            f"{x:.1f}",
            f"{top:.1f}",
            f"{width:.1f}",
            f"{bottom - top:.1f}",
            fill_of(health.value),
        )
        for health, top, bottom in _stack(figures, axis)
    )
    return safe_format(
        '<g class="trend-day"><title>{}</title>{}</g>',
        describe_day(day, figures, today),
        SafeString(parts),
    )


def _paths(columns: list[tuple[dt.date, Figures, float]], width: float, axis: Axis) -> SafeString:
    """The columns drawn compactly, for the management PDF: one <path> per health, each
    day's part of it a subpath, the very rectangles _column draws (same numbers, same
    fill). WeasyPrint lays out every element of an inline SVG: a <g>, <title> and <rect>s
    a day (364 elements at 90 days) made the PDF 2-2.8 times slower to render (+0.3 s
    each, sent to thousands of managers by subscriptions). A PDF has no hover to show a
    day's <title>: its words are the chart's <desc> and the text the PDF prints under it
    (describe_trend)."""
    outlines: dict[Health, list[str]] = {health: [] for health in ORDER}
    for _day, figures, x in columns:
        for health, top, bottom in _stack(figures, axis):
            outlines[health].append(
                f"M{x:.1f} {top:.1f}h{width:.1f}v{bottom - top:.1f}h-{width:.1f}z"
            )
    return format_html_join(
        "",
        '<path class="chart-bar bar-{}" fill="{}" d="{}"></path>',
        (
            (health.value, fill_of(health.value), "".join(outline))
            for health, outline in outlines.items()
            if outline
        ),
    )


def day_label(day: dt.date, figures: Figures, today: dt.date | None) -> str:
    """A day as the trend names it. Today's figures are its snapshot's, while the
    overview's cards beside them are live: it says when it was taken, "2026-12-07
    (today, as of 00:20 UTC)"; the two disagreed unexplained (found by an audit)."""
    if day == today and figures.taken_at is not None:
        return f"{day:%Y-%m-%d} (today, as of {history_format.snapshot_time(figures.taken_at)})"
    return f"{day:%Y-%m-%d}"


def describe_day(day: dt.date, figures: Figures, today: dt.date | None = None) -> str:
    label = day_label(day, figures, today)
    if not figures.devices:
        return f"{label}: no active devices"
    counts = ", ".join(f"{getattr(figures, h.value):,} {h.label.lower()}" for h in ORDER)
    share = history_format.percent(figures.ok_percent)  # the one rounding: 99.6%, not 100%
    return f"{label}: {share} OK of {figures.devices:,} ({counts})"


def rejudged_note(day: dt.date, before: Thresholds, after: Thresholds) -> str:
    """A day the thresholds changed, in words (reading.thresholds_changed): worded as
    compliance's judged_notes, for the page, the chart's text and the PDF alike."""
    return (
        f"On {day:%Y-%m-%d} the thresholds changed: judged at {before} days "
        f"(warning/critical) before it, at {after} from it: the step there is the "
        "thresholds' as well as the backups'."
    )


def rejudged_notes(points: list[tuple[dt.date, Figures]]) -> list[str]:
    figures = dict(points)
    return [
        rejudged_note(day, before, figures[day].judged_by)
        for day, before in thresholds_changed(points).items()
    ]


def describe_trend(points: list[tuple[dt.date, Figures]], today: dt.date) -> str:
    """The trend in words, its first and latest days (points: one at least), and the
    days its thresholds changed: the chart's text alternative, and what the management
    PDF says under it."""
    (start_day, start), (end_day, end) = points[0], points[-1]
    return " ".join(
        [
            f"{counted(len(points), 'day')} with a snapshot from {start_day:%Y-%m-%d} "
            f"to {end_day:%Y-%m-%d}.",
            f"First: {describe_day(start_day, start)}.",
            f"Latest: {describe_day(end_day, end, today)}.",
            *rejudged_notes(points),
        ]
    )


def _axis(axis: Axis, width: int) -> SafeString:
    lines = []
    for percent in (axis.floor, (axis.floor + 100) // 2, 100):
        y = axis.y(percent)
        lines.append(
            format_html(
                '<line class="trend-grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"></line>'
                '<text class="chart-value" x="{}" y="{}" text-anchor="end"'
                ' font-size="{}" fill="{}">{}%</text>',
                LEFT,
                f"{y:.1f}",
                width,
                f"{y:.1f}",
                GRID_STROKE,
                LEFT - 6,
                f"{y + 4:.1f}",
                VALUE_TEXT["font-size"],
                VALUE_TEXT["fill"],
                percent,
            )
        )
    return format_html_join("", "{}", ((line,) for line in lines))


def _rejudged(
    points: list[tuple[dt.date, Figures]], first: dt.date, step: float, shape: Shape
) -> SafeString:
    """A dashed line before each day judged by other thresholds than the day before it,
    the height of the plot, its words in a <title>: the step there is partly the
    settings' (reading.thresholds_changed)."""
    figures = dict(points)
    return format_html_join(
        "",
        '<line class="trend-rejudged" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"'
        ' stroke-width="2" stroke-dasharray="4 3"><title>{}</title></line>',
        (
            (
                f"{LEFT + (day - first).days * step:.1f}",
                TOP,
                f"{LEFT + (day - first).days * step:.1f}",
                TOP + shape.plot_height,
                LABEL_TEXT["fill"],
                rejudged_note(day, before, figures[day].judged_by),
            )
            for day, before in thresholds_changed(points).items()
        ),
    )


def _labels(first: dt.date, last: dt.date, step: float, shape: Shape) -> SafeString:
    y = TOP + shape.plot_height + 15
    days = (last - first).days
    ticks = [(first, "start"), (first + dt.timedelta(days=days // 2), "middle"), (last, "end")]
    return format_html_join(
        "",
        '<text class="chart-value" x="{}" y="{}" text-anchor="{}"'
        ' font-size="{}" fill="{}">{}</text>',
        (
            # Days as every page writes them (the figures below the chart, the CSV).
            (
                f"{LEFT + ((d - first).days + 0.5) * step:.1f}",
                y,
                anchor,
                VALUE_TEXT["font-size"],
                VALUE_TEXT["fill"],
                f"{d:%Y-%m-%d}",
            )
            for d, anchor in ticks
        ),
    )


def _legend(shape: Shape) -> SafeString:
    column_width = (shape.width - LEFT) / shape.legend_columns
    items = []
    for i, health in enumerate(ORDER):
        row, column = divmod(i, shape.legend_columns)
        x = LEFT + column * min(column_width, 140)
        y = shape.legend_top + row * LEGEND_ROW + 10
        items.append(
            format_html(
                '<rect class="chart-bar bar-{}" x="{}" y="{}" width="10" height="10" rx="2"'
                ' fill="{}"></rect>'
                '<text class="chart-label" x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                health.value,
                f"{x:.0f}",
                y - 9,
                fill_of(health.value),
                f"{x + 14:.0f}",
                y,
                LABEL_TEXT["font-size"],
                LABEL_TEXT["fill"],
                health.label,
            )
        )
    return format_html_join("", "{}", ((item,) for item in items))


def trend_chart(
    points: list[tuple[dt.date, Figures]],
    today: dt.date,
    shape: Shape = WIDE,
    *,
    compact: bool = False,
) -> SafeString:
    """Share of active devices by health on each of the overview's trend_days() up to
    today (the days trend_of reads by default); `compact`: its columns as a path per
    health, without a title a day (_paths: the management PDF's)."""
    days = trend_days()
    if not points:
        return format_html(
            '<p class="empty-chart">{}</p>',
            "No history yet: the first snapshot comes with the next import, sync or "
            "daily snapshot.",
        )
    chart_id = f"trend-{next(_ids)}"
    first = today - dt.timedelta(days=days - 1)
    step = (shape.width - LEFT) / days
    axis = Axis.fitted(points, shape.plot_height)
    placed = [(day, figures, LEFT + (day - first).days * step + 0.5) for day, figures in points]
    if compact:
        columns = _paths(placed, step - 1, axis)
    else:
        columns = SafeString(
            "".join(_column(day, figures, x, step - 1, axis, today) for day, figures, x in placed)
        )
    description = f"{describe_trend(points, today)} The axis runs from {axis.floor}% to 100%."
    return format_html(
        '<svg class="chart trend trend-{}" viewBox="0 0 {} {}" role="img"'
        ' aria-labelledby="{}-t {}-d" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}{}{}{}{}</svg>',
        shape.name,
        shape.width,
        shape.height,
        chart_id,
        chart_id,
        chart_id,
        f"Backup health of active devices, last {days} days",
        chart_id,
        description,
        _axis(axis, shape.width),
        columns,
        _rejudged(points, first, step, shape),
        _labels(first, today, step, shape),
        _legend(shape),
    )
