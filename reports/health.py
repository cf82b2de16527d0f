"""Backup health, per destination and per device. The one home of the rule (spec 11).

Each archive (destination) has the health of its own `lastCompletedBackupDate`. A
device's health is the worst of its archives': it is judged from its *stalest*
destination's last completed backup (`device_health_date`), as the vendor's own
`CriticalBackupAlert` judges it; a device with no archive, or with none completed, has
never backed up. A destination that has never completed beside one that has makes the
device critical (MISSING_COPY, below). The thresholds are `settings.BACKUP_WARNING_DAYS`
and `settings.BACKUP_CRITICAL_DAYS`, read here and nowhere else:

    ok        last completed backup less than WARNING days ago
    warning   at least WARNING days, less than CRITICAL days ago
    critical  CRITICAL days ago or more
    never     no completed backup at all

Every query here works on ReportRow querysets, so the role limit (`visible_to`) that
the caller applied carries through.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.db import connections
from django.db.models import BigIntegerField, Count, F, Func, Q, QuerySet

from reports import clock
from reports.models import Device
from reports.postgres_only import on_postgres

# A device is active when its status is Active: the report's active=true. Health counts
# active devices only (an inactive one's old backup alarms nobody). The one home of the
# rule, for the rows (ACTIVE) and for one value (is_active).
ACTIVE_STATUS: str = Device.Status.ACTIVE.value
ACTIVE = Q(status=ACTIVE_STATUS)


def is_active(status: str | None) -> bool:
    return status == ACTIVE_STATUS


# Extra edges of the "days since last completed backup" chart, besides the thresholds.
CHART_EDGES_DAYS = (1, 30, 90)


class Health(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    NEVER = "never"

    @property
    def label(self) -> str:
        return {"ok": "OK", "never": "Never backed up"}.get(self.value, self.value.title())


def warning_days() -> int:
    return settings.BACKUP_WARNING_DAYS


def critical_days() -> int:
    return settings.BACKUP_CRITICAL_DAYS


@dataclass(frozen=True)
class Thresholds:
    """The days a health was judged by: what a snapshot keeps of the settings it was
    taken under, so that a past figure compared with now can say it was judged by others
    (reports.history.compliance)."""

    warning: int
    critical: int

    def __str__(self) -> str:
        """As a note says it: "3/14" (warning/critical days)."""
        return f"{self.warning}/{self.critical}"


def thresholds() -> Thresholds:
    """The thresholds health is judged by now."""
    return Thresholds(warning_days(), critical_days())


@dataclass(frozen=True)
class AgeBand:
    """Devices whose last completed backup is at least min_days and under max_days old."""

    min_days: int
    max_days: int | None = None  # None: no upper bound

    @property
    def key(self) -> str:
        """The value of the dashboards' backupAge parameter: "3-7", "90-"."""
        return f"{self.min_days}-{self.max_days if self.max_days is not None else ''}"

    @property
    def label(self) -> str:
        if self.max_days is None:
            return f"{self.min_days}+ days"
        if self.min_days == 0:
            return f"under {_days(self.max_days)}"
        return f"{self.min_days} to {_days(self.max_days)}"

    @property
    def health(self) -> Health:
        """The health of the devices in this band (bands never straddle a threshold)."""
        if self.min_days >= critical_days():
            return Health.CRITICAL
        if self.min_days >= warning_days():
            return Health.WARNING
        return Health.OK

    def newest(self, now: dt.datetime) -> dt.datetime | None:
        """A backup completed after this is too recent for the band."""
        return now - dt.timedelta(days=self.min_days) if self.min_days > 0 else None

    def oldest(self, now: dt.datetime) -> dt.datetime | None:
        """A backup completed at or before this is too old for the band."""
        return now - dt.timedelta(days=self.max_days) if self.max_days is not None else None


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


# The oldest band a filter may ask: a century covers every backup there is, and keeps
# "now minus the band" a date (days in the millions overflow the calendar: a 500).
MAX_BAND_DAYS = 36_500
_BAND = re.compile(r"([0-9]{1,50})-([0-9]{1,50})?")  # ASCII digits: isdigit() takes "²"


def parse_band(text: str) -> AgeBand:
    """ "3-7" -> 3 to 7 days, "90-" -> 90 days or more. ValueError when malformed."""
    match = _BAND.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a range of days; use e.g. 3-7 or 90-.")
    band = AgeBand(int(match[1]), int(match[2]) if match[2] else None)
    if max(band.min_days, band.max_days or 0) > MAX_BAND_DAYS:
        raise ValueError(f"{text!r} is too many days; use at most {MAX_BAND_DAYS:,}.")
    if band.max_days is not None and band.max_days <= band.min_days:
        raise ValueError(f"{text!r} is an empty range; the second number must be larger.")
    return band


def health_bands() -> dict[Health, AgeBand]:
    """The band of each health but `never`."""
    warning, critical = warning_days(), critical_days()
    return {
        Health.OK: AgeBand(0, warning),
        Health.WARNING: AgeBand(warning, critical),
        Health.CRITICAL: AgeBand(critical, None),
    }


def chart_bands() -> list[AgeBand]:
    """Consecutive bands from 0 days up, with an edge at each threshold."""
    edges = sorted({0, warning_days(), critical_days(), *CHART_EDGES_DAYS})
    bands = [AgeBand(low, high) for low, high in zip(edges, edges[1:], strict=False)]
    return [*bands, AgeBand(edges[-1], None)]


def health_of(last_completed: dt.datetime | None, now: dt.datetime | None = None) -> Health:
    """The health of one date (a device's last completed backup, or a row's own)."""
    if last_completed is None:
        return Health.NEVER
    age = (now or clock.now()) - last_completed
    if age >= dt.timedelta(days=critical_days()):
        return Health.CRITICAL
    if age >= dt.timedelta(days=warning_days()):
        return Health.WARNING
    return Health.OK


# A device's health date. A destination that has never completed a backup, beside one
# that has, counts as a copy infinitely stale: the device is critical, not "never". The
# device has backed up (so "never backed up", the list of devices to set up, would
# mislead), but the copy its admin configured does not exist, which is exactly what a
# critical alert is for. It stands as the earliest date there is, so that every
# filter, count and chart below treats it as the oldest backup (the 90+ days band)
# without a second column; `shown_date` hides it from the pages.
MISSING_COPY = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NEVER_COMPLETED = "a destination never completed"  # MISSING_COPY in words, where shown


def device_health_date(archive_dates: Iterable[dt.datetime | None]) -> dt.datetime | None:
    """The date a device's health is judged from, over its archives' last completed
    backups (None: not completed): the stalest; None when none completed (or no
    archive); MISSING_COPY when some completed and another never did."""
    dates = list(archive_dates)
    completed = [d for d in dates if d is not None]
    if not completed:
        return None
    if len(completed) < len(dates):
        return MISSING_COPY
    return min(completed)


def shown_date(health_date: dt.datetime | None) -> dt.datetime | None:
    """A device's health date as a page shows it: MISSING_COPY is no date (None)."""
    return None if health_date == MISSING_COPY else health_date


# Filters: rows of the devices in a health or band. Every row carries its device's
# health date (`device_backup_date`, above), so each is a plain, indexable condition.


def in_band(rows: QuerySet, band: AgeBand, now: dt.datetime | None = None) -> QuerySet:
    """Rows of devices whose health date (stalest destination) falls in the band."""
    now = now or clock.now()
    newest, oldest = band.newest(now), band.oldest(now)
    rows = rows.filter(device_backup_date__isnull=False)
    if oldest is not None:
        rows = rows.filter(device_backup_date__gt=oldest)
    if newest is not None:
        rows = rows.filter(device_backup_date__lte=newest)
    return rows


def never_backed_up(rows: QuerySet) -> QuerySet:
    """Rows of devices with no archive, or no completed backup on any archive."""
    return rows.filter(device_backup_date__isnull=True)


# Devices not backing up: anything but OK (warning, critical or never). A dashboard
# value of `health=`, where compliance's failing devices are listed.
FAILING = "failing"


def failing(rows: QuerySet, now: dt.datetime | None = None) -> QuerySet:
    """Rows of devices not in OK: never backed up, or at or past the warning threshold."""
    oldest_ok = health_bands()[Health.OK].oldest(now or clock.now())
    return rows.filter(Q(device_backup_date__isnull=True) | Q(device_backup_date__lte=oldest_ok))


def with_health(rows: QuerySet, health: Health, now: dt.datetime | None = None) -> QuerySet:
    if health is Health.NEVER:
        return never_backed_up(rows)
    return in_band(rows, health_bands()[health], now)


# Counting devices: one row per device (`device_first`), no GROUP BY.


def per_device(rows: QuerySet, *columns: str) -> QuerySet:
    """One row per device with its health date (device_health_date) as `last`.

    `columns` are device-level row fields (os, status...) the caller counts by.
    """
    return (
        rows.order_by()
        .filter(device_first=True)
        .values("device_id", *columns)
        .annotate(last=F("device_backup_date"))
    )


def band_q(band: AgeBand, now: dt.datetime) -> Q:
    """Over per_device(): the devices whose health date falls in the band."""
    q = Q(last__isnull=False)
    if (oldest := band.oldest(now)) is not None:
        q &= Q(last__gt=oldest)
    if (newest := band.newest(now)) is not None:
        q &= Q(last__lte=newest)
    return q


NEVER_Q = Q(last__isnull=True)  # over per_device(): the devices that never backed up


def health_q(health: Health, now: dt.datetime) -> Q:
    if health is Health.NEVER:
        return NEVER_Q
    return band_q(health_bands()[health], now)


@dataclass(frozen=True)
class DeviceHealthCounts:
    devices: int  # the devices counted
    by_health: dict[Health, int]
    by_band: list[tuple[AgeBand, int]]
    also: dict[str, int] = field(default_factory=dict)  # the caller's own counts


def device_health_counts(
    devices: QuerySet,
    now: dt.datetime | None = None,
    *,
    among: Q | None = None,
    also: dict[str, Q] | None = None,
) -> DeviceHealthCounts:
    """Devices of per_device() by health and chart band, in one query.

    among: which devices the health counts are of (e.g. the active ones); also: more
    device counts the caller wants from the same scan, each by its own condition.
    """
    now = now or clock.now()
    among = among or Q()
    bands = chart_bands()

    def count(condition: Q) -> Count:
        return Count("device_id", filter=condition)

    counts = {"devices": count(among)}
    counts |= {f"health_{h.value}": count(among & health_q(h, now)) for h in Health}
    counts |= {f"band_{i}": count(among & band_q(b, now)) for i, b in enumerate(bands)}
    counts |= {f"also_{name}": count(q) for name, q in (also or {}).items()}
    result = devices.aggregate(**counts)
    return DeviceHealthCounts(
        devices=result["devices"],
        by_health={h: result[f"health_{h.value}"] for h in Health},
        by_band=[(b, result[f"band_{i}"]) for i, b in enumerate(bands)],
        also={name: result[f"also_{name}"] for name in also or {}},
    )


# Health at any moment from figures cached without one: the devices' last completed
# backups, sorted, are true until the data changes; the bands are applied when asked,
# with the very bounds (newest, oldest) and comparisons of band_q above.

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _instant(moment: dt.datetime) -> int:
    """Microseconds since the epoch, exactly (no float on the way)."""
    return (moment - _EPOCH) // _MICROSECOND


@dataclass(frozen=True)
class BackupDates:
    """Some devices' last completed backups, oldest first, and how many never had one.

    Independent of the clock: `counts_at(now)` gives their health and chart bands at
    any moment, exactly the numbers device_health_counts() counts at that moment.
    """

    instants: bytes  # array("q") of _instant(), ascending
    never: int

    def counts_at(self, now: dt.datetime | None = None, also: dict | None = None):
        now = now or clock.now()
        instants = self._array()
        return DeviceHealthCounts(
            devices=len(instants) + self.never,
            by_health=self._health(instants, health_edges(now)),
            by_band=[(band, _in_band(instants, band_edges(band, now))) for band in chart_bands()],
            also=dict(also or {}),
        )

    def health_in(self, edges: dict[Health, tuple]) -> dict[Health, int]:
        """The devices by health between the edges of health_edges(now): one moment's
        edges for many BackupDates (compliance's "now" sums one an org)."""
        return self._health(self._array(), edges)

    def _array(self) -> array:
        instants = array("q")
        instants.frombytes(self.instants)
        return instants

    def _health(self, instants: array, edges: dict[Health, tuple]) -> dict[Health, int]:
        by_health = {h: _in_band(instants, band) for h, band in edges.items()}
        by_health[Health.NEVER] = self.never
        return {h: by_health[h] for h in Health}


def band_edges(band: AgeBand, now: dt.datetime) -> tuple[int | None, int | None]:
    """The band at `now` as (newest, oldest) instants (None: open on that side)."""
    newest, oldest = band.newest(now), band.oldest(now)
    return (
        None if newest is None else _instant(newest),
        None if oldest is None else _instant(oldest),
    )


def health_edges(now: dt.datetime) -> dict[Health, tuple[int | None, int | None]]:
    """Each health's band but never's at `now`, for BackupDates.health_in."""
    return {h: band_edges(band, now) for h, band in health_bands().items()}


def _in_band(instants: array, edges: tuple[int | None, int | None]) -> int:
    # band_q: last > oldest and last <= newest.
    newest, oldest = edges
    upper = len(instants) if newest is None else bisect_right(instants, newest)
    lower = 0 if oldest is None else bisect_right(instants, oldest)
    return max(0, upper - lower)


class _EpochMicroseconds(Func):
    """PostgreSQL's exact (numeric) epoch of a timestamp, in whole microseconds, as
    _instant() computes it: a million dates arrive as integers, not as datetimes."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def _instants(devices: QuerySet, *columns: str) -> Iterable[tuple]:
    """Over per_device(): (*columns, instant) of each device that backed up, oldest
    first."""
    dates = devices.filter(last__isnull=False).order_by("last")
    if on_postgres(connections[dates.db]):
        return dates.annotate(instant=_EpochMicroseconds("last")).values_list(*columns, "instant")
    return (
        (*values, _instant(last))
        for *values, last in dates.values_list(*columns, "last").iterator(20_000)
    )


def sorted_backups(devices: QuerySet) -> bytes:
    """Over per_device(): the devices' last completed backups, for BackupDates.instants."""
    return array("q", (instant for (instant,) in _instants(devices))).tobytes()


def backup_dates_by(devices: QuerySet, column: str) -> dict:
    """Over per_device(): a BackupDates for each value of a device-level `column` (org_id,
    say), in one pass over the devices, oldest first, and one count of those that never
    backed up."""
    instants: dict = {}
    for value, instant in _instants(devices, column):
        if value not in instants:
            instants[value] = array("q")
        instants[value].append(instant)
    never = dict(
        devices.filter(NEVER_Q).order_by().values_list(column).annotate(n=Count("device_id"))
    )
    return {
        value: BackupDates(
            instants[value].tobytes() if value in instants else b"", never.get(value, 0)
        )
        for value in instants.keys() | never.keys()
    }
