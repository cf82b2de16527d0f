"""Charts drawn on the server as inline SVG: no JavaScript, no CDN.

Each chart carries its own text alternative: a <title> and a <desc> that reads out every
bar, referenced by aria-labelledby. Bars are links to the report that lists them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from reports.chart_paint import LABEL_TEXT, VALUE_TEXT, fill_of

# In SVG user units; a chart card is about this wide, so text keeps its size.
WIDTH = 440
LABEL_WIDTH = 180
VALUE_WIDTH = 66
ROW_HEIGHT = 28
BAR_HEIGHT = 18
MAX_LABEL = 20

_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    display: str  # the value as people read it: "1,204", "4.2 TiB"
    href: str | None = None
    kind: str = "default"  # colour: default, ok, warning, critical, never
    title: str | None = None  # the full name on hover, when the label is short for it


SEPARATOR = " › "  # accounts.org_names.SEPARATOR; charts know no orgs


def _cut(text: str, room: int) -> str:
    """Cut at the end, where a reader expects it: "San Francisco" -> "San Fr…"."""
    return text if len(text) <= room else text[: max(room - 1, 1)].rstrip() + "…"


def _short(label: str) -> str:
    """Keep the label's own name whole and cut its parent's at the end, never a name's
    start: "San Francisco › Engineering" -> "San F… › Engineering"."""
    if len(label) <= MAX_LABEL:
        return label
    parent, _, name = label.rpartition(SEPARATOR)
    room = MAX_LABEL - len(name) - len(SEPARATOR)
    if not parent or room < 3:
        return _cut(name, MAX_LABEL)
    return _cut(parent, room) + SEPARATOR + name


def _bar(bar: Bar, index: int, scale: float) -> SafeString:
    y = index * ROW_HEIGHT + 4
    length = max(bar.value * scale, 2 if bar.value else 0)
    shape = format_html(
        "<title>{}: {}</title>"
        '<text class="chart-label" x="{}" y="{}" text-anchor="end"'
        ' font-size="{}" fill="{}">{}</text>'
        '<rect class="chart-bar bar-{}" x="{}" y="{}" width="{}" height="{}" rx="3"'
        ' fill="{}"></rect>'
        '<text class="chart-value" x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
        bar.title or bar.label,
        bar.display,
        LABEL_WIDTH - 8,
        y + BAR_HEIGHT - 5,
        LABEL_TEXT["font-size"],
        LABEL_TEXT["fill"],
        _short(bar.label),
        bar.kind,
        LABEL_WIDTH,
        y,
        f"{length:.1f}",
        BAR_HEIGHT,
        fill_of(bar.kind),
        f"{LABEL_WIDTH + length + 6:.1f}",
        y + BAR_HEIGHT - 5,
        VALUE_TEXT["font-size"],
        VALUE_TEXT["fill"],
        bar.display,
    )
    if bar.href:
        return format_html('<a href="{}" class="chart-link">{}</a>', bar.href, shape)
    return format_html("<g>{}</g>", shape)


def bar_chart(title: str, bars: Sequence[Bar], *, empty: str = "Nothing to chart.") -> SafeString:
    """A horizontal bar chart as an inline <svg>, scaled to its largest bar."""
    if not bars:
        return format_html('<p class="empty-chart">{}</p>', empty)
    chart_id = f"chart-{next(_ids)}"
    largest = max(bar.value for bar in bars) or 1
    scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / largest
    height = len(bars) * ROW_HEIGHT + 8
    description = "; ".join(f"{bar.title or bar.label}: {bar.display}" for bar in bars) + "."
    return format_html(
        # A group, not an img: its bars are links, which an img could not contain.
        '<svg class="chart" viewBox="0 0 {} {}" role="group" aria-labelledby="{}-t"'
        ' aria-describedby="{}-d"'
        ' xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        format_html_join("", "{}", ((_bar(bar, i, scale),) for i, bar in enumerate(bars))),
    )
