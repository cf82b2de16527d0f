"""The period a digest or a subscription belongs to: at most one message per recipient
per period."""

from __future__ import annotations

import datetime as dt

from reports.notifications.models import Frequency

MONTHLY = "monthly"


def period_key(frequency: str, now: dt.datetime) -> str:
    """ "weekly 2026-W49" (ISO week, Monday first), "daily 2026-12-01" or
    "monthly 2026-12", in UTC."""
    day = now.astimezone(dt.UTC).date()
    if frequency == Frequency.DAILY:
        return f"daily {day.isoformat()}"
    if frequency == MONTHLY:
        return f"monthly {day:%Y-%m}"
    year, week, _ = day.isocalendar()
    return f"weekly {year}-W{week:02d}"


def period_start(frequency: str, now: dt.datetime) -> dt.date:
    """The first day of the period `now` is in (UTC)."""
    day = now.astimezone(dt.UTC).date()
    if frequency == Frequency.DAILY:
        return day
    if frequency == MONTHLY:
        return day.replace(day=1)
    return day - dt.timedelta(days=day.weekday())


def period_began(frequency: str, now: dt.datetime) -> dt.datetime:
    """The moment the period `now` is in began: its first day at 00:00 UTC. A message
    claimed since then belongs to this period whatever its key says: the frequency it
    was sent at may have changed since (reports.notifications.sending)."""
    return dt.datetime.combine(period_start(frequency, now), dt.time(), tzinfo=dt.UTC)


def due_since(frequency: str, hour: int, now: dt.datetime) -> dt.datetime:
    """When this period's message falls due: its first day at `hour` UTC. A sender that
    runs later in the period (it was down) still sends it, once."""
    start = period_start(frequency, now)
    return dt.datetime.combine(start, dt.time(hour), tzinfo=dt.UTC)
