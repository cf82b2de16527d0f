"""The overview's numbers, each over the rows the user may see (ReportRow only).

Three scans of the visible rows, whatever the fleet size: devices by health, age band
and OS (one GROUP BY device); storage totals; storage by org. Org names for the chart
labels come from the Org rows themselves (identity data, by primary key).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum

from accounts.models import Org
from reports.dashboards.os_families import KNOWN_OS, in_family
from reports.health import (
    ACTIVE,
    NEVER_Q,
    BackupDates,
    DeviceHealthCounts,
    device_health_counts,
    per_device,
    sorted_backups,
)
from reports.read_model import DEVICE_SELECTED_BYTES

TOP_ORGS = 10


@dataclass(frozen=True)
class Storage:
    devices: int
    archives: int
    selected_bytes: int  # each device once: its largest selection
    archive_bytes: int  # summed over archives: each destination stores its own copy
    cold_archives: int
    cold_bytes: int


@dataclass(frozen=True)
class OrgStorage:
    org_uid: str | None
    org_name: str | None
    archive_bytes: int
    # The org's materialized path: the page names it from the viewer's reach down
    # (accounts.org_names), as names repeat across the tree.
    path: str = ""


@dataclass(frozen=True)
class OsDevices:
    os: str | None  # None: any other value
    devices: int


@dataclass(frozen=True)
class Overview:
    health: DeviceHealthCounts  # active devices
    storage: Storage
    by_org: list[OrgStorage]
    by_os: list[OsDevices]  # active devices


@dataclass(frozen=True)
class OverviewFigures:
    """The overview's numbers as they stay true until the data changes: health, which
    ages with the clock, as the devices' backup dates, put into bands when asked."""

    dates: BackupDates  # active devices
    also: dict[str, int]  # devices_counts()' other counts: all devices, active by OS
    storage: Storage
    by_org: list[OrgStorage]

    def at(self, now: dt.datetime | None = None) -> Overview:
        counts = self.dates.counts_at(now, also=self.also)
        return Overview(
            health=counts, storage=self.storage, by_org=self.by_org, by_os=devices_by_os(counts)
        )


def _other_counts() -> dict[str, Q]:
    return {"all": Q()} | {os: ACTIVE & in_family(os) for os in KNOWN_OS}


def device_counts(visible: QuerySet, now: dt.datetime | None = None) -> DeviceHealthCounts:
    """Active devices by health and band, all devices, and active devices by OS."""
    devices = per_device(visible, "os", "status")
    return device_health_counts(devices, now, among=ACTIVE, also=_other_counts())


def devices_by_os(counts: DeviceHealthCounts) -> list[OsDevices]:
    by_os = [OsDevices(os, counts.also[os]) for os in KNOWN_OS if counts.also[os]]
    other = counts.devices - sum(o.devices for o in by_os)
    if other:
        by_os.append(OsDevices(None, other))
    return sorted(by_os, key=lambda o: -o.devices)


def storage_of(visible: QuerySet, devices: int) -> Storage:
    cold = Q(cold_storage=True)
    totals = visible.order_by().aggregate(
        archives=Count("archive_id"),
        selected=DEVICE_SELECTED_BYTES,
        archived=Sum("archive_bytes"),
        cold_archives=Count("archive_id", filter=cold),
        cold_bytes=Sum("archive_bytes", filter=cold),
    )
    return Storage(
        devices=devices,
        archives=totals["archives"],
        selected_bytes=totals["selected"] or 0,
        archive_bytes=totals["archived"] or 0,
        cold_archives=totals["cold_archives"],
        cold_bytes=totals["cold_bytes"] or 0,
    )


def storage_by_org(visible: QuerySet, limit: int = TOP_ORGS) -> list[OrgStorage]:
    """The orgs whose owners' archives take the most space (an org alone, not its subtree)."""
    biggest = list(
        visible.order_by()
        .values("org_id")
        .annotate(archived=Sum("archive_bytes"))
        .filter(archived__gt=0)
        .order_by(F("archived").desc(), "org_id")[:limit]
    )
    orgs = Org.objects.in_bulk([o["org_id"] for o in biggest if o["org_id"]])
    chart = []
    for o in biggest:
        org = orgs.get(o["org_id"])
        chart.append(
            OrgStorage(
                org.org_uid if org else None,
                org.name if org else None,
                o["archived"],
                org.path if org else "",
            )
        )
    return chart


def overview_of(visible: QuerySet, now: dt.datetime | None = None) -> Overview:
    counts = device_counts(visible, now)
    return Overview(
        health=counts,
        storage=storage_of(visible, devices=counts.also["all"]),
        by_org=storage_by_org(visible),
        by_os=devices_by_os(counts),
    )


def overview_figures(visible: QuerySet) -> OverviewFigures:
    """What overview_of() gives at any moment, without the moment: `.at(now)`."""
    devices = per_device(visible, "os", "status")
    counts = _other_counts() | {"never": ACTIVE & NEVER_Q}
    also = devices.aggregate(**{name: Count("device_id", filter=q) for name, q in counts.items()})
    return OverviewFigures(
        dates=BackupDates(sorted_backups(devices.filter(ACTIVE)), never=also.pop("never")),
        also=also,
        storage=storage_of(visible, devices=also["all"]),
        by_org=storage_by_org(visible),
    )
