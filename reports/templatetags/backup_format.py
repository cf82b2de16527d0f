"""Human formatting for the dashboards: sizes in binary units, ages, UTC times.

The tables call the same functions the templates use as filters, so a size or an age
reads the same on every page. Dates have one format everywhere (pages, tables, emails,
the admin): the time in UTC and how long ago, both written out, "2026-12-03 23:35 UTC ·
3 days ago" (`moment_text`, and `age` for HTML: a <time> element).
"""

from __future__ import annotations

import datetime as dt
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from reports import clock
from reports.health import health_of

register = template.Library()


def safe_format(template_text: str, *args) -> SafeString:
    """format_html with the same escaping (django.utils.html.escape is html.escape), less
    its lazy-string checks on every argument: the tables call it some 20,000 times for a
    1,000-row page, where those checks took a third of the time (bench/page_sizes.py)."""
    return SafeString(
        template_text.format(
            *[a.__html__() if hasattr(a, "__html__") else escape(str(a)) for a in args]
        )
    )


_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


@register.filter
def bytes_human(value: int | None) -> str:
    """524288000 -> "500 MiB"; one decimal under 100 of a unit."""
    if value is None or value == "":
        return "—"
    size = float(value)
    unit = 0
    while abs(size) >= 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    if unit == 0:
        return f"{int(size)} B"
    return f"{size:.1f} {_UNITS[unit]}" if abs(size) < 100 else f"{size:.0f} {_UNITS[unit]}"


@register.filter
def utc(value: dt.datetime | None) -> str:
    """The time in UTC to the minute: "2026-11-28 14:03 UTC"."""
    if value is None:
        return ""
    # isoformat, not strftime: %Y pads no year, and an imported date of year 999 read
    # "999-03-04" (the import takes years 1 to 9999).
    return f"{value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(' ', 'minutes')} UTC"


def counted(n: int, unit: str) -> str:
    """ "1 device", "12,345 devices": a count in words, never "device(s)"."""
    return f"{n:,} {unit}" if n == 1 else f"{n:,} {unit}s"


def age_text(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "12 days ago", "3 hours ago", "in 5 days" (for a date ahead)."""
    seconds = ((now or clock.now()) - value).total_seconds()
    ahead = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if minutes < 60:
        text = counted(minutes, "minute")
    elif hours < 48:
        text = counted(hours, "hour")
    elif days < 60:
        text = counted(days, "day")
    elif days < 730:
        text = counted(days // 30, "month")
    else:
        text = counted(days // 365, "year")
    return f"in {text}" if ahead else f"{text} ago"


@register.filter
def moment_text(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """The one date format, as text (plain-text emails, the admin's read-only fields):
    "2026-12-03 23:35 UTC · 3 days ago"; "never" for no date."""
    if value is None:
        return "never"
    return f"{utc(value)} · {age_text(value, now)}"


@register.filter
def age(value: dt.datetime | None, css_class: str = "") -> SafeString:
    """The one date format in HTML: a <time> with the UTC time and how long ago, both in
    the text (a phone has no hover, a screen reader reads no tooltip); the second part
    in its own span, which a table puts on a line of its own (its " · " then hidden from
    the eye only, static/reports/app.css)."""
    if value is None:
        return mark_safe('<span class="muted">never</span>')
    return safe_format(
        '<time datetime="{}" class="{}">{}<span class="when-ago">'
        '<span class="when-sep"> · </span>{}</span></time>',
        value.astimezone(dt.UTC).isoformat(),
        f"when {css_class}" if css_class else "when",
        utc(value),
        age_text(value),
    )


@register.filter
def backup_age(value: dt.datetime | None) -> SafeString | str:
    """A last completed backup's age, coloured by its health (reports.health), and
    marked in words too where it is not OK: colour is never the only sign of health."""
    health = health_of(value)
    if value is None:
        return age(value)
    return safe_format(
        "{}{}", age(value, f"age age-{health.value}"), HEALTH_MARKS.get(health.value, "")
    )


# A glyph per health beside its colour, so that colour is never the only sign of it.
HEALTH_GLYPHS = {"ok": "✓", "warning": "!", "critical": "✕", "never": "○"}


@register.filter
def health_symbol(health) -> SafeString:
    """The health's glyph, hidden from screen readers: the word beside it is read."""
    return safe_format('<span aria-hidden="true">{}</span>', HEALTH_GLYPHS[str(health)])


# After an age whose health is not OK: the glyph to see and the word to hear.
HEALTH_MARKS = {
    kind: safe_format(
        '<span class="health-mark health-mark-{}" title="{}">{}'
        '<span class="visually-hidden"> ({})</span></span>',
        kind,
        word,
        health_symbol(kind),
        word.lower(),
    )
    for kind, word in (("warning", "Warning"), ("critical", "Critical"))
}


@register.filter
def day(value: dt.datetime | None) -> SafeString:
    """A date ahead, such as an expiry: the same format as every date."""
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    return age(value)


def day_alone(value: dt.datetime) -> SafeString:
    """A date in the one format without how long ago: for a cell that says it itself,
    in its own terms ("expired 67 days ago"), where two ages of one date stood side by
    side ("2 months ago", found by an audit of the pages)."""
    return safe_format(
        '<time datetime="{}" class="when">{}</time>',
        value.astimezone(dt.UTC).isoformat(),
        utc(value),
    )


def _alert_kind(state: str) -> str:
    if state.startswith("Critical"):
        return "critical"
    if state.startswith("Warning"):
        return "warning"
    return "ok" if state == "OK" else "neutral"


def _alert_label(state: str) -> str:
    """CriticalBackupAlert -> "Critical: backup"."""
    for level in ("Critical", "Warning"):
        if state.startswith(level) and state.endswith("Alert"):
            return f"{level}: {state[len(level) : -len('Alert')].lower()}"
    return state


@register.filter
def alert_badges(alert_states: str | None) -> SafeString:
    """One coloured badge per alert state: OK green, Warning* amber, Critical* red."""
    states = (alert_states or "").split() or ["OK"]
    return SafeString(
        " ".join(
            safe_format('<span class="badge badge-{}" title="{}">{}</span>', *badge)
            for badge in ((_alert_kind(s), s, _alert_label(s)) for s in states)
        )
    )


@register.filter
def percent_bar(value: float | None) -> SafeString:
    """A bar with the percentage in text; full bars green, others amber.

    The fill is an SVG rectangle whose width is an attribute, not a style="" (which the
    Content-Security-Policy refuses: styles come only from the project's own files)."""
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    clamped = max(0.0, min(100.0, float(value)))
    return safe_format(
        '<span class="progress{}" role="progressbar" aria-valuemin="0" aria-valuemax="100"'
        ' aria-valuenow="{}" aria-label="Backup complete">'
        '<svg class="progress-fill" viewBox="0 0 100 1"'
        ' preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        '<rect width="{}" height="1"></rect></svg>'
        '<span class="progress-text">{}%</span></span>',
        " progress-done" if clamped >= 100 else "",
        f"{clamped:.1f}",
        f"{clamped:.1f}",
        f"{float(value):.1f}",
    )
