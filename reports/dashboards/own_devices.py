"""A desktop user's overview: their own devices, each with its destinations, whether each
is backed up, since when, and what to do about one that is not.

Over the rows the user may see (ReportRow.visible_to), which for a desktop user are their
own; read in one query and grouped here, as a person has a handful of devices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from reports.dashboards.device_paths import device_url
from reports.health import MISSING_COPY, Health, health_of, is_active, shown_date

MAX_DEVICES = 50  # more than anyone owns; the reports list the rest

# What the owner can do about a device in each health, in their words (not the admin's).
ADVICE = {
    Health.WARNING: (
        "Not backed up for a few days. Switch the device on and connect it to the "
        "network: the backup app resumes on its own. Check it is not paused."
    ),
    Health.CRITICAL: (
        "Not backed up for too long. Open the backup app on this device and start a "
        "backup; if it cannot reach its destination, ask your IT help desk."
    ),
    Health.NEVER: (
        "Never backed up. Sign in to the backup app on this device and choose what to "
        "back up: the first backup starts then."
    ),
}
MISSING_COPY_ADVICE = (
    "One destination has never completed a backup. Ask your IT help desk whether it is "
    "still needed; until it completes, that copy does not exist."
)


@dataclass(frozen=True)
class Destination:
    name: str
    last_backup: dt.datetime | None
    health: Health


@dataclass(frozen=True)
class OwnDevice:
    device_uid: str
    name: str
    os: str
    active: bool
    last_connected: dt.datetime | None
    health: Health  # its stalest destination's (reports.health)
    stalest_backup: dt.datetime | None  # None: never, or a destination never completed
    missing_copy: bool
    destinations: list[Destination]

    @property
    def url(self) -> str:
        return device_url(self.device_uid)

    @property
    def advice(self) -> str:
        if self.missing_copy:
            return MISSING_COPY_ADVICE
        return ADVICE.get(self.health, "")


def own_devices(visible: QuerySet, now: dt.datetime) -> list[OwnDevice]:
    """The devices in `visible`, the least safe first, then by name."""
    rows = visible.order_by("device_name", "device_uid", "destination_name").values(
        "device_uid",
        "device_name",
        "os",
        "status",
        "last_connected_date",
        "device_backup_date",
        "archive_id",
        "destination_name",
        "last_completed_backup_date",
    )
    devices: dict[str, dict] = {}
    for row in rows:
        device = devices.get(row["device_uid"])
        if device is None:
            if len(devices) == MAX_DEVICES:
                break
            device = devices[row["device_uid"]] = {"row": row, "destinations": []}
        if row["archive_id"] is not None:
            last = row["last_completed_backup_date"]
            device["destinations"].append(
                Destination(row["destination_name"] or "—", last, health_of(last, now))
            )
    found = [_device(d["row"], d["destinations"], now) for d in devices.values()]
    worst_first = [Health.NEVER, Health.CRITICAL, Health.WARNING, Health.OK]
    return sorted(found, key=lambda d: (not d.active, worst_first.index(d.health)))


def _device(row: dict, destinations: list[Destination], now: dt.datetime) -> OwnDevice:
    health_date = row["device_backup_date"]
    return OwnDevice(
        device_uid=row["device_uid"],
        name=row["device_name"] or row["device_uid"],
        os=row["os"] or "",
        active=is_active(row["status"]),
        last_connected=row["last_connected_date"],
        health=health_of(health_date, now),
        stalest_backup=shown_date(health_date),
        missing_copy=health_date == MISSING_COPY,
        destinations=destinations,
    )
