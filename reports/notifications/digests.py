"""A digest's content: the recipient's reach only (ReportRow.objects.visible_to), health
by the one rule (reports.health). A handful of set-based queries per recipient,
whatever the size of their reach: no query per device."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse

from accounts.roles import reach_of
from reports.catalog import REPORTS
from reports.health import (
    ACTIVE,
    Health,
    device_health_counts,
    health_of,
    health_q,
    per_device,
)
from reports.models import ReportRow
from reports.notifications.links import absolute, device_url

STALE_LISTED = 10
EXPIRING_LISTED = 10
EXPIRY_DAYS = 30
COUNTED = ("devices", *(h.value for h in Health))  # the counts kept in the send log


@dataclass(frozen=True)
class StaleDevice:
    name: str
    owner: str
    org: str
    last_completed: dt.datetime
    health: Health
    url: str


@dataclass(frozen=True)
class ExpiringArchive:
    device: str
    owner: str
    org: str
    expires: dt.datetime
    archive_bytes: int | None
    url: str


@dataclass(frozen=True)
class Count:
    label: str
    value: int
    change: int | None  # since the previous digest; None: no previous digest


@dataclass(frozen=True)
class Digest:
    frequency: str
    scope: str  # "the whole fleet", "Accounting and the orgs below it"
    counts: dict[str, int]
    figures: list[Count]
    stale: list[StaleDevice]
    stale_total: int
    expiring: list[ExpiringArchive]
    expiring_total: int
    previous_at: dt.datetime | None
    links: list[tuple[str, str]] = field(default_factory=list)


def scope_of(user, reach) -> str:
    if reach.everything:
        return "the whole fleet"
    return f"{user.org.name} and the orgs below it"


def digest_of(
    user,
    frequency: str,
    now: dt.datetime,
    previous: dict | None = None,
    previous_at: dt.datetime | None = None,
) -> Digest:
    reach = reach_of(user)  # once: ReportRow.objects.visible_to(user) is within(reach.scope)
    rows = ReportRow.objects.within(reach.scope)
    devices = per_device(rows, "status")
    health = device_health_counts(devices, now, among=ACTIVE)
    counts = {"devices": health.devices} | {h.value: n for h, n in health.by_health.items()}

    def change(name: str) -> int | None:
        return None if previous is None else counts[name] - int(previous.get(name, 0))

    figures = [Count("Active devices", counts["devices"], change("devices"))] + [
        Count(h.label, counts[h.value], change(h.value)) for h in Health
    ]
    overdue = health_q(Health.WARNING, now) | health_q(Health.CRITICAL, now)
    stale = (
        per_device(rows, "status", "device_uid", "device_name", "username", "org_name")
        .filter(ACTIVE & overdue)
        .order_by("last", "device_id")[:STALE_LISTED]
    )
    soon = rows.filter(
        cold_storage=True,
        cold_storage_expire_date__gt=now,
        cold_storage_expire_date__lte=now + dt.timedelta(days=EXPIRY_DAYS),
    )
    expiring = soon.order_by("cold_storage_expire_date", "pk").values(
        "device_uid",
        "device_name",
        "username",
        "org_name",
        "cold_storage_expire_date",
        "archive_bytes",
    )[:EXPIRING_LISTED]
    return Digest(
        frequency=frequency,
        scope=scope_of(user, reach),
        counts=counts,
        figures=figures,
        stale=[
            StaleDevice(
                name=row["device_name"] or row["device_uid"],
                owner=row["username"] or "",
                org=row["org_name"] or "",
                last_completed=row["last"],
                health=health_of(row["last"], now),
                url=device_url(row["device_uid"]),
            )
            for row in stale
        ],
        stale_total=counts[Health.WARNING] + counts[Health.CRITICAL],
        expiring=[
            ExpiringArchive(
                device=row["device_name"] or row["device_uid"],
                owner=row["username"] or "",
                org=row["org_name"] or "",
                expires=row["cold_storage_expire_date"],
                archive_bytes=row["archive_bytes"],
                url=device_url(row["device_uid"]),
            )
            for row in expiring
        ],
        expiring_total=soon.count(),
        previous_at=previous_at,
        links=[("Overview", absolute(reverse("overview")))]
        + [(report.title, absolute(report.default_url)) for report in REPORTS.values()],
    )
