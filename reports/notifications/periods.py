"""The period a digest belongs to: at most one digest per recipient per period."""

from __future__ import annotations

import datetime as dt

from reports.notifications.models import Frequency


def period_key(frequency: str, now: dt.datetime) -> str:
    """ "weekly 2026-W49" (ISO week, Monday first) or "daily 2026-12-01", in UTC."""
    day = now.astimezone(dt.UTC).date()
    if frequency == Frequency.DAILY:
        return f"daily {day.isoformat()}"
    year, week, _ = day.isocalendar()
    return f"weekly {year}-W{week:02d}"
