"""History as records: the compliance rows and the trend's days, each in one shape for
the CSV export and the JSON resource, so the two cannot disagree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from reports.csv_record import LINE_END, NULL_CELL, csv_cell
from reports.health import thresholds
from reports.history.compliance import ComplianceRow
from reports.history.reading import Figures, thresholds_changed
from reports.row import encode_datetime

FIELDS = (
    "orgUid",
    "orgName",
    "directlyInOrg",
    "activeDevices",
    "okPercentNow",
    "okPercent7DaysAgo",
    "okPercent30DaysAgo",
    "changePoints",
    "warningDaysNow",
    "criticalDaysNow",
    "warningDays7DaysAgo",
    "criticalDays7DaysAgo",
    "warningDays30DaysAgo",
    "criticalDays30DaysAgo",
)


def record(row: ComplianceRow) -> dict:
    """The thresholds beside the shares: a past share judged by others than now's is
    compared with it all the same (changePoints), and the reader is told; null: no
    snapshot that day, or one taken before snapshots kept them."""
    now, week, month = thresholds(), row.week_judged_by, row.month_judged_by
    return {
        "orgUid": row.org_uid,
        "orgName": row.org_name,
        "directlyInOrg": row.own,
        "activeDevices": row.devices,
        "okPercentNow": row.now.ok_percent,
        "okPercent7DaysAgo": row.week.ok_percent,
        "okPercent30DaysAgo": row.month.ok_percent,
        "changePoints": row.change,
        "warningDaysNow": now.warning,
        "criticalDaysNow": now.critical,
        "warningDays7DaysAgo": week.warning if week else None,
        "criticalDays7DaysAgo": week.critical if week else None,
        "warningDays30DaysAgo": month.warning if month else None,
        "criticalDays30DaysAgo": month.critical if month else None,
    }


def _cell(value) -> str:
    """As the report's export writes a value: null for a missing one; text through the
    export's own cell rule (quoting, formula starts defused); numbers as they are."""
    if value is None:
        return NULL_CELL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return csv_cell(value)
    return str(value)


def csv_lines(rows: Iterable[ComplianceRow]) -> Iterator[str]:
    yield ",".join(FIELDS) + LINE_END
    for row in rows:
        yield ",".join(_cell(value) for value in record(row).values()) + LINE_END


TREND_FIELDS = (
    "day",
    "activeDevices",
    "ok",
    "warning",
    "critical",
    "neverBackedUp",
    "okPercent",
    "selectedBytes",
    "archiveBytes",
    "coldStorageArchives",
    "coldStorageBytes",
    "takenAt",
    "warningDays",
    "criticalDays",
    "thresholdsChanged",
)


def trend_records(points: list[tuple[dt.date, Figures]]) -> Iterator[dict]:
    """The trend's days (oldest first), each as trend_record says it."""
    changed = thresholds_changed(points)
    for day, figures in points:
        yield trend_record(day, figures, rejudged=day in changed)


def trend_record(day: dt.date, figures: Figures, *, rejudged: bool = False) -> dict:
    """One day of the trend: the reach's active devices by health (the overview's table)
    and its storage, as the snapshot of that day summed them, and when it was taken
    (today's is the snapshot's, not this moment's); the thresholds it judged by (null:
    unknown, taken before snapshots kept them) and whether they are not the day's
    before (`rejudged`, reading.thresholds_changed): a step there is partly the
    settings'."""
    judged = figures.judged_by
    return {
        "day": day.isoformat(),
        "activeDevices": figures.devices,
        "ok": figures.ok,
        "warning": figures.warning,
        "critical": figures.critical,
        "neverBackedUp": figures.never,
        "okPercent": figures.ok_percent,
        "selectedBytes": figures.selected_bytes,
        "archiveBytes": figures.archive_bytes,
        "coldStorageArchives": figures.cold_archives,
        "coldStorageBytes": figures.cold_bytes,
        "takenAt": encode_datetime(figures.taken_at) if figures.taken_at else None,
        "warningDays": judged.warning if judged else None,
        "criticalDays": judged.critical if judged else None,
        "thresholdsChanged": rejudged,
    }


def trend_csv_lines(points: list[tuple[dt.date, Figures]]) -> Iterator[str]:
    yield ",".join(TREND_FIELDS) + LINE_END
    for record in trend_records(points):
        yield ",".join(_cell(value) for value in record.values()) + LINE_END
