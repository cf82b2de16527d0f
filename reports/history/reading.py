"""Reading snapshots back for a viewer: subtree sums, limited by the one reach rule.

A viewer's history is the sum over the orgs of the subtrees their reach grants
(`accounts.roles.reach_of`): everything for a system administrator, their org's subtree
for an org manager, nothing for anyone else, whose reach holds only their own devices.

A row is placed by its org's path now (a moved org's history follows it), or, once the
org is removed, by the path it last had, below its ancestors where they are now
(ROW_PATH, snapshots.follow_ancestors): a manager counts a removed org's past if the
ancestors it had are in their subtree, and a system administrator always.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.roles import Reach
from reports.health import Thresholds
from reports.history.models import Snapshot
from reports.history.snapshots import FIGURES, STORAGE


@dataclass(frozen=True)
class Figures:
    devices: int = 0
    ok: int = 0
    warning: int = 0
    critical: int = 0
    never: int = 0
    selected_bytes: int = 0
    archive_bytes: int = 0
    cold_archives: int = 0
    cold_bytes: int = 0
    # When the day's snapshot was taken (daily_totals), not a figure: neither added nor
    # compared; None for a sum of days or of the moment.
    taken_at: dt.datetime | None = field(default=None, compare=False)
    # The thresholds the day's snapshot judged health by (daily_totals), likewise not a
    # figure; None for a sum of days or of the moment, and where unknown (judged_by).
    judged_by: Thresholds | None = field(default=None, compare=False)

    @property
    def ok_share(self) -> float | None:
        """Share of the active devices backed up within the warning threshold."""
        return self.ok / self.devices if self.devices else None

    @property
    def ok_percent(self) -> float | None:
        """The share as every surface shows it (page, CSV, JSON, PDF, the trend's text)
        and as the target judges it: one decimal, rounded here once. Never 100.0 or 0.0
        unless all or none are OK: 996 of 1,000 was said "100% OK" beside 4 in warning,
        and 113 of 119 shown 95.0% was marked below a 95% target (found by an audit)."""
        if not self.devices:
            return None
        percent = round(100 * self.ok / self.devices, 1)
        if percent == 100 and self.ok < self.devices:
            return 99.9
        if percent == 0 and self.ok:
            return 0.1
        return percent

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f) + getattr(other, f) for f in FIGURES + STORAGE))


# The org path a row adds up under: its org's now, or the removed org's last.
ROW_PATH = Coalesce(F("org__path"), F("path"))
REMOVED = Q(org__isnull=True)


def snapshots_of(reach: Reach) -> QuerySet[Snapshot]:
    """The snapshot rows of the orgs in the viewer's reach (none for a reach of one's
    own devices: snapshots are per org), removed orgs' by the path they had."""
    if reach.everything:
        return Snapshot.objects.all()
    return Snapshot.objects.filter(reach.q(path="org__path") | (REMOVED & reach.q(path="path")))


def in_subtree(path: str) -> Q:
    """The rows of the org at `path` and the orgs below it, removed ones included."""
    return Q(org__path__startswith=path) | (REMOVED & Q(path__startswith=path))


def latest_snapshot(up_to: dt.date | None = None) -> tuple[dt.date, dt.datetime] | None:
    """The fleet's latest snapshot day (up to a day) and when it was taken: the "now" of
    every history figure, whatever the reach. Not the reach's own latest row: a subtree
    whose devices are all gone has no row on it, and its last day's figures were shown
    as today's (compliance, 2026-12-06; /metrics and the weekly summary, found by an
    audit of the integrations)."""
    rows = Snapshot.objects.all() if up_to is None else Snapshot.objects.filter(day__lte=up_to)
    return rows.order_by("-day", "-taken_at").values_list("day", "taken_at").first()


def judged_by(pairs: set[tuple[int | None, int | None]]) -> Thresholds | None:
    """The one pair of (warning, critical) days some snapshot rows were judged by; None
    where unknown: no row, a row taken before snapshots kept them (null), or, never seen
    (a day's rows are taken at once), rows of a day judged by two pairs."""
    if len(pairs) != 1:
        return None
    warning, critical = next(iter(pairs))
    return None if warning is None or critical is None else Thresholds(warning, critical)


# What daily_totals reads of a day's thresholds: enough to tell one pair from several.
_JUDGED = {
    "warning_low": Min("warning_days"),
    "warning_high": Max("warning_days"),
    "critical_low": Min("critical_days"),
    "critical_high": Max("critical_days"),
    "unknown": Count("pk", filter=Q(warning_days__isnull=True) | Q(critical_days__isnull=True)),
}


def _judged_by_of_day(row: dict) -> Thresholds | None:
    pairs = {(row["warning_low"], row["critical_low"]), (row["warning_high"], row["critical_high"])}
    return None if row["unknown"] else judged_by(pairs)


def daily_totals(snapshots: QuerySet[Snapshot], since: dt.date) -> dict[dt.date, Figures]:
    """The sum of these rows on each day from `since`, when its snapshot was taken and
    the thresholds it judged by, in one GROUP BY day."""
    rows = (
        snapshots.filter(day__gte=since)
        .order_by()
        .values("day")
        .annotate(**{f"n_{f}": Sum(f) for f in FIGURES + STORAGE}, n_taken_at=Max("taken_at"))
        .annotate(**_JUDGED)
        .order_by("day")
    )
    totals = {}
    for row in rows:
        judged = _judged_by_of_day(row)
        figures = {f[2:]: v for f, v in row.items() if f.startswith("n_")}
        totals[row["day"]] = Figures(**figures, judged_by=judged)
    return totals


def thresholds_changed(points: list[tuple[dt.date, Figures]]) -> dict[dt.date, Thresholds]:
    """The days of a trend (oldest first) judged by other thresholds than the day with
    a snapshot before them, each with the thresholds of before: the step there is the
    settings' as well as the backups', and every surface of the trend says so (page,
    chart, CSV and JSON, PDF) rather than show it as the fleet getting better or worse.
    Days of unknown thresholds (judged_by None) are passed over: no change is said into
    or out of them."""
    changed = {}
    before = None
    for day, figures in points:
        if figures.judged_by is None:
            continue
        if before is not None and figures.judged_by != before:
            changed[day] = before
        before = figures.judged_by
    return changed


TREND_DAYS = 90


def trend_days() -> int:
    """The overview's trend's days: 90, or as many as are kept where HISTORY_DAYS keeps
    fewer (with 60, the trend's CSV and JSON asked for none answered 400: "90 is not a
    number of days from 1 to 60", found by an audit of section 9)."""
    return min(TREND_DAYS, settings.HISTORY_DAYS)


def trend_of(
    reach: Reach, today: dt.date, days: int | None = None
) -> list[tuple[dt.date, Figures]]:
    """The reach's totals on each of the last `days` days (the overview's trend_days())
    that has a snapshot, oldest first."""
    days = days or trend_days()
    since = today - dt.timedelta(days=days - 1)
    totals = daily_totals(snapshots_of(reach), since)
    if reach.has_fleet and not reach.everything and not _every_day_held(totals, since, today):
        # A day of the fleet's snapshot is a day measured for every subtree: one whose
        # subtree had no device then (all gone, or none yet) counts none. Left out, it
        # was a gap, and the trend's latest day the last with a device, its figures
        # said as the latest beside compliance's none today (found by an audit of
        # section 9; compliance and /metrics read the fleet's day: latest_snapshot).
        for day, taken_at in snapshot_days(since):
            totals.setdefault(day, Figures(taken_at=taken_at))
    return sorted(totals.items())


def _every_day_held(totals: dict[dt.date, Figures], since: dt.date, today: dt.date) -> bool:
    """Whether the reach has a row on every day from `since` to the fleet's latest
    snapshot: then none of the fleet's days can be missing from it, and snapshot_days,
    a GROUP BY over every org's rows (88 ms at 5,000 orgs, for each manager's scope a
    warm after each refresh; found by a review), is not asked. One indexed query."""
    latest = latest_snapshot(up_to=today)
    if latest is None:
        return True
    held = sum(1 for day in totals if day <= latest[0])
    return held == (latest[0] - since).days + 1


def snapshot_days(since: dt.date) -> list[tuple[dt.date, dt.datetime]]:
    """The days with a snapshot of the fleet from `since`, and when each was taken."""
    rows = Snapshot.objects.filter(day__gte=since).order_by().values("day")
    return list(rows.annotate(taken_at=Max("taken_at")).values_list("day", "taken_at"))
