"""Human formatting for the dashboards: sizes in binary units, ages, UTC times.

The tables call the same functions the templates use as filters, so a size or an age
reads the same on every page.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from reports import clock
from reports.health import health_of

register = template.Library()

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
    """The exact time in UTC: "2026-11-28 14:03:07 UTC"."""
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def age_text(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "12 days ago", "3 hours ago", "in 5 days" (for a date ahead)."""
    seconds = ((now or clock.now()) - value).total_seconds()
    ahead = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if minutes < 60:
        text = _plural(minutes, "minute")
    elif hours < 48:
        text = _plural(hours, "hour")
    elif days < 60:
        text = _plural(days, "day")
    elif days < 730:
        text = _plural(days // 30, "month")
    else:
        text = _plural(days // 365, "year")
    return f"in {text}" if ahead else f"{text} ago"


@register.filter
def age(value: dt.datetime | None, css_class: str = "") -> SafeString | str:
    """A <time> reading "12 days ago", the exact UTC time on hover."""
    if value is None:
        return mark_safe('<span class="muted">never</span>')
    return format_html(
        '<time datetime="{}" title="{}"{}>{}</time>',
        value.astimezone(dt.UTC).isoformat(),
        utc(value),
        format_html(' class="{}"', css_class) if css_class else "",
        age_text(value),
    )


@register.filter
def backup_age(value: dt.datetime | None) -> SafeString | str:
    """A last completed backup's age, coloured by its health (reports.health), and
    marked in words too where it is not OK: colour is never the only sign of health."""
    health = health_of(value)
    if value is None:
        return age(value)
    return format_html(
        "{}{}", age(value, f"age age-{health.value}"), HEALTH_MARKS.get(health.value, "")
    )


# A glyph per health beside its colour, so that colour is never the only sign of it.
HEALTH_GLYPHS = {"ok": "✓", "warning": "!", "critical": "✕", "never": "○"}


@register.filter
def health_symbol(health) -> SafeString:
    """The health's glyph, hidden from screen readers: the word beside it is read."""
    return format_html('<span aria-hidden="true">{}</span>', HEALTH_GLYPHS[str(health)])


# After an age whose health is not OK: the glyph to see and the word to hear.
HEALTH_MARKS = {
    kind: format_html(
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
def day(value: dt.datetime | None) -> SafeString | str:
    """A date for an expiry: "2027-03-01", the exact UTC time and how far on hover."""
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    return format_html(
        '<time datetime="{}" title="{} ({})">{}</time>',
        value.astimezone(dt.UTC).isoformat(),
        utc(value),
        age_text(value),
        value.astimezone(dt.UTC).strftime("%Y-%m-%d"),
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
    return format_html_join(
        " ",
        '<span class="badge badge-{}" title="{}">{}</span>',
        ((_alert_kind(s), s, _alert_label(s)) for s in states),
    )


@register.filter
def percent_bar(value: float | None) -> SafeString:
    """A bar with the percentage in text; full bars green, others amber.

    The fill is an SVG rectangle whose width is an attribute, not a style="" (which the
    Content-Security-Policy refuses: styles come only from the project's own files)."""
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    clamped = max(0.0, min(100.0, float(value)))
    return format_html(
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
