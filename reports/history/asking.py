"""What the compliance page and its JSON twin (reports.api.compliance) ask, read the same
way by both: a level of the viewer's reach (`org`) and a sort; and what the trend's CSV
and JSON (reports.history.views, reports.api.compliance) ask: how many days."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from accounts.roles import Reach
from reports import clock
from reports.history import figures
from reports.history.compliance import Compliance, ComplianceRow, sorted_rows, with_now_of
from reports.history.reading import Figures, trend_days, trend_of
from reports.history.snapshots import day_of
from reports.query import whole_number

DEFAULT_SORT = "now"  # the worst first: what a review starts with
NO_FLEET = "Compliance by org covers org subtrees; your role lets you see your own devices only."
NO_TREND = "The health trend covers org subtrees; your role lets you see your own devices only."


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def compliance_asked(reach: Reach, query) -> tuple[Compliance, list[ComplianceRow], str]:
    """The level asked for, sorted; raises OutOfReach or BadParameter."""
    sort = query.get("sort") or DEFAULT_SORT
    compliance = figures.compliance(reach, query.get("org") or None)
    compliance = with_now_of(compliance, figures.health_by_org(), clock.now())
    try:
        rows = sorted_rows(compliance.rows, sort)
    except ValueError as error:
        raise BadParameter("sort", str(error)) from None
    return compliance, rows, sort


def trend_asked(reach: Reach, query) -> list[tuple[dt.date, Figures]]:
    """The reach's totals on each day with a snapshot of the last `days` (the overview's
    trend_days() by default, at most HISTORY_DAYS, what is kept), oldest first; raises
    BadParameter."""
    text = query.get("days") or str(trend_days())
    days = whole_number(text)
    if days is None or not 1 <= days <= settings.HISTORY_DAYS:
        message = (
            f"{text!r} is not a number of days from 1 to {settings.HISTORY_DAYS} (HISTORY_DAYS)"
        )
        raise BadParameter("days", message)
    today = day_of(clock.now())
    if days == trend_days():
        return figures.trend(reach, today)  # the overview's, kept until the data changes
    return trend_of(reach, today, days)
