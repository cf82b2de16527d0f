"""Compliance by org (spec section 9): per org of one level of the viewer's reach, the
share of active devices backed up within the warning threshold, now and 7 and 30 days
ago, from the snapshots.

"Now" is this moment (with_now_of): the active devices of the orgs each row adds up,
judged at the moment the page is asked for, as the list its failing devices link to
judges them; the snapshot's counts were as of the snapshot, and the two differed by the
devices that went stale since (2026-12-06: 27 of 158 rows, 19 hours after one). The
earlier columns are the snapshots 7 and 30 days before the latest one (taken daily and
after every refresh), judged by the thresholds of their day, which each snapshot keeps:
where those are not now's, the rows and what shows them say so (judged_otherwise).
Each org's figures are its whole subtree's: the snapshot rows of the level's subtree
are read once, three days of them, and each is added to the listed org its path passes
through; each row keeps the ids of the orgs it adds up, for "now".
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, replace
from functools import reduce

from django.conf import settings
from django.db.models import Q

from accounts import org_paths
from accounts.models import Org
from accounts.roles import Reach
from reports.health import BackupDates, Health, Thresholds, health_edges, thresholds
from reports.history.reading import (
    ROW_PATH,
    Figures,
    in_subtree,
    judged_by,
    latest_snapshot,
    snapshots_of,
)
from reports.history.snapshots import FIGURES, STORAGE

WEEK, MONTH = 7, 30
SORTS = ("org", "devices", "now", "week", "month", "change")


class OutOfReach(LookupError):
    """No such org, or not one the viewer may see."""


@dataclass(frozen=True)
class ComplianceRow:
    org_uid: str
    org_name: str
    drill: bool  # the org has orgs below to list
    own: bool  # the devices directly in the level's org, not in an org below
    now: Figures
    week: Figures
    month: Figures
    org_ids: tuple[int, ...] = ()  # the orgs whose devices the row adds up
    # The thresholds the snapshots of 7 and 30 days ago were judged by; None: no row
    # then, or taken before snapshots kept them (unknown).
    week_judged_by: Thresholds | None = None
    month_judged_by: Thresholds | None = None

    @property
    def week_judged_otherwise(self) -> Thresholds | None:
        """The thresholds 7 days ago was judged by, where not today's: say so beside it."""
        return _otherwise(self.week_judged_by)

    @property
    def month_judged_otherwise(self) -> Thresholds | None:
        """The thresholds 30 days ago was judged by, where not today's: the change
        against it holds the settings' change too (found by an audit of section 9)."""
        return _otherwise(self.month_judged_by)

    @property
    def devices(self) -> int:
        return self.now.devices

    @property
    def failing(self) -> int:
        """Active devices not in OK now (warning, critical, never): the drill's list."""
        return self.now.devices - self.now.ok

    @property
    def meets_target(self) -> bool | None:
        """The share now, as shown (Figures.ok_percent), against
        COMPLIANCE_TARGET_PERCENT; None: no devices."""
        if self.now.ok_percent is None:
            return None
        return self.now.ok_percent >= settings.COMPLIANCE_TARGET_PERCENT

    @property
    def change(self) -> float | None:
        """Percentage points gained (or lost, negative) against 30 days ago, between
        the two shares as shown (Figures.ok_percent)."""
        if self.now.ok_percent is None or self.month.ok_percent is None:
            return None
        return round(self.now.ok_percent - self.month.ok_percent, 1)


def _otherwise(judged_by: Thresholds | None) -> Thresholds | None:
    return judged_by if judged_by is not None and judged_by != thresholds() else None


def judged_otherwise(rows: list[ComplianceRow]) -> dict[str, Thresholds]:
    """The past columns ("week", "month") some row of which was judged by other
    thresholds than now's, with those (a day's snapshot is judged by one pair): what the
    page, its PDF and exports say beside the figures, rather than a bare jump."""
    found = {}
    for row in rows:
        for column in ("week", "month"):
            other = getattr(row, f"{column}_judged_otherwise")
            if other is not None:
                found.setdefault(column, other)
    return found


PAST = {"week": "7 days ago", "month": "30 days ago"}


def judged_notes(rows: list[ComplianceRow]) -> list[str]:
    """judged_otherwise in words, under the page's table and the PDF's."""
    now = thresholds()
    notes = []
    for column, then in judged_otherwise(rows).items():
        # Worded for the page and the PDF alike: the PDF has no Change column, but the
        # two shares side by side differ by the thresholds too.
        notes.append(
            f"{PAST[column]} was judged at {then} days then (warning/critical), at {now} now: "
            "the difference from it is the thresholds' as well as the backups'."
        )
    return notes


@dataclass(frozen=True)
class Compliance:
    level: Org | None  # the org whose children are listed; None: the reach's top
    trail: list[Org]  # the level's ancestors within the reach, top first, then the level
    day: dt.date | None  # the fleet's latest snapshot's day; None: no snapshot yet
    rows: list[ComplianceRow]


def _top(reach: Reach) -> list[Org]:
    if reach.everything:
        return list(Org.objects.filter(parent__isnull=True))
    return list(Org.objects.filter(path__in=reach.org_paths))


def _trail(reach: Reach, level: Org) -> list[Org]:
    return [org for org in level.ancestors() if reach.covers(org.path)]


def compliance_of(reach: Reach, org_uid: str | None = None) -> Compliance:
    """One level of the reach: its top orgs, or the children of the org asked for."""
    level = None
    if org_uid:
        level = Org.objects.filter(org_uid=org_uid).first()
        if level is None or not reach.covers(level.path):
            raise OutOfReach(org_uid)
        listed = list(level.children.all())
    else:
        listed = _top(reach)
    snapshots = snapshots_of(reach)
    if level is not None:
        snapshots = snapshots.filter(in_subtree(level.path))
    # Every level lists its orgs whatever its snapshots hold: "now" is live
    # (with_now_of). A subtree without a row in any snapshot listed none: its devices
    # placed there since were counted a level up and nowhere below, under "No history
    # yet" beside the fleet's snapshot of the day (found by an audit).
    latest = latest_snapshot()
    day = latest[0] if latest else None
    rows = _rows(snapshots, listed, level, day)
    return Compliance(level, _trail(reach, level) if level else [], day, rows)


def _rows(
    snapshots, listed: list[Org], level: Org | None, day: dt.date | None
) -> list[ComplianceRow]:
    """The listed orgs' rows, their past columns empty where no snapshot has them."""
    days = {}  # none before the first snapshot: `day__in` of none reads nothing
    if day is not None:
        days = {
            day: "now",
            day - dt.timedelta(days=WEEK): "week",
            day - dt.timedelta(days=MONTH): "month",
        }
    by_path = {org.path: org for org in listed}
    # A listed child's path has one more part than the level's ("/1/" has depth 1).
    depth = (level.depth + 1) if level else None

    def key_of(path: str) -> str:
        if level is not None and path == level.path:
            return "own"
        if depth is not None:
            # The listed child this path passes through: its first `depth` parts.
            return org_paths.ancestor_path(path, depth)
        # The reach's top: whichever listed path is its prefix.
        return next((p for p in by_path if path.startswith(p)), "")

    # Plain lists of numbers while adding up: thousands of rows, no object per row.
    totals: dict[tuple[str, str], list[int]] = {}
    judged: dict[tuple[str, str], set[tuple[int | None, int | None]]] = {}
    fields = FIGURES + STORAGE
    values = snapshots.filter(day__in=days).annotate(at=ROW_PATH)
    values = values.values_list("day", "at", "warning_days", "critical_days", *fields)
    for day_of_row, path, warning, critical, *figures in values:
        key = key_of(path)
        total = totals.setdefault((key, days[day_of_row]), [0] * len(fields))
        for i, value in enumerate(figures):
            total[i] += value
        judged.setdefault((key, days[day_of_row]), set()).add((warning, critical))
    sums = {key: Figures(*total) for key, total in totals.items()}

    def judged_by_of(key: str, column: str) -> Thresholds | None:
        return judged_by(judged.get((key, column), set()))

    has_children = set(
        Org.objects.filter(parent__in=listed)
        .order_by()
        .values_list("parent_id", flat=True)
        .distinct()
    )

    org_ids: dict[str, list[int]] = {}
    for pk, path in _orgs_below(listed, level).values_list("pk", "path"):
        org_ids.setdefault(key_of(path), []).append(pk)

    def row(key: str, org: Org, *, own: bool = False) -> ComplianceRow:
        now, week, month = (sums.get((key, c), Figures()) for c in ("now", "week", "month"))
        drill = not own and org.pk in has_children
        ids = tuple(org_ids.get(key, ()))
        return ComplianceRow(
            org.org_uid,
            org.name,
            drill,
            own,
            now,
            week,
            month,
            ids,
            week_judged_by=judged_by_of(key, "week"),
            month_judged_by=judged_by_of(key, "month"),
        )

    rows = [row(path, org) for path, org in by_path.items()]
    if level is not None:  # with_now_of keeps it if it counts anything, now or then
        rows.append(row("own", level, own=True))
    return rows


def _orgs_below(listed: list[Org], level: Org | None):
    """The orgs whose devices the rows add up: the level's subtree, or the listed top
    orgs' (each within the reach, as the listed orgs are)."""
    if level is not None:
        return Org.objects.filter(path__startswith=level.path)
    if not listed:
        return Org.objects.none()
    return Org.objects.filter(
        reduce(operator.or_, (Q(path__startswith=org.path) for org in listed))
    )


def with_now_of(compliance: Compliance, dates: dict[int, BackupDates], now) -> Compliance:
    """The compliance with each row's "now" the health of its orgs' active devices at
    `now` (their BackupDates by org, reports.history.figures.health_by_org); storage
    stays the latest snapshot's (not a matter of the moment)."""

    edges = health_edges(now)  # once: thousands of orgs are summed at this moment

    def live(row: ComplianceRow) -> Figures:
        counted = [dates[pk].health_in(edges) for pk in row.org_ids if pk in dates]
        health = {h: sum(c[h] for c in counted) for h in Health}
        devices = sum(health.values())
        storage = {name: getattr(row.now, name) for name in STORAGE}
        return Figures(devices, *(health[Health(name)] for name in FIGURES[1:]), **storage)

    rows = [replace(row, now=live(row)) for row in compliance.rows]
    # The devices directly in the level's org, if any, now or a week or month ago: one
    # placed there since the last snapshot counted in the level's figure and in no row
    # below it (found by an audit).
    rows = [row for row in rows if not row.own or row.now.devices or _in_snapshots(row)]
    return replace(compliance, rows=rows)


def _in_snapshots(row: ComplianceRow) -> bool:
    return bool(row.week.devices or row.month.devices)


def sorted_rows(rows: list[ComplianceRow], sort: str) -> list[ComplianceRow]:
    """By a column of SORTS, "-" first for descending; missing shares last either way."""
    descending, column = sort.startswith("-"), sort.lstrip("-")
    if column not in SORTS:
        raise ValueError(f"{sort!r} is not a column; sort by one of {', '.join(SORTS)}.")

    def value(r: ComplianceRow):
        return {
            "org": r.org_name.casefold(),
            "devices": r.devices,
            "now": r.now.ok_share,
            "week": r.week.ok_share,
            "month": r.month.ok_share,
            "change": r.change,
        }[column]

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: (value(r), r.org_name.casefold(), r.org_uid), reverse=descending)
    return present + sorted(missing, key=lambda r: (r.org_name.casefold(), r.org_uid))
