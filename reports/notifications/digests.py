"""A digest's content: the recipient's reach only (ReportRow.objects.visible_to), health
by the one rule (reports.health). A handful of set-based queries per recipient,
whatever the size of their reach: no query per device."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count as DbCount
from django.db.models import F, Min, Sum
from django.urls import reverse

from accounts.org_names import OrgNames
from accounts.roles import reach_of
from reports.catalog import REPORTS
from reports.dashboards.filters import expiring_within
from reports.health import (
    ACTIVE,
    FAILING,
    NEVER_Q,
    Health,
    Thresholds,
    device_health_counts,
    health_of,
    health_q,
    per_device,
    shown_date,
    thresholds,
)
from reports.models import ReportRow
from reports.notifications.links import absolute, device_url
from reports.query import ordering

STALE_LISTED = 10
EXPIRING_LISTED = 10
EXPIRY_DAYS = 30
COUNTED = ("devices", *(h.value for h in Health))  # the counts kept in the send log


@dataclass(frozen=True)
class StaleDevice:
    name: str
    owner: str
    org: str
    last_completed: dt.datetime | None  # its stalest destination's; None: see health
    health: Health
    url: str


@dataclass(frozen=True)
class ExpiringDevice:
    """A device with archives in cold storage expiring soon: one line, not one per archive."""

    device: str
    owner: str
    org: str
    expires: dt.datetime  # the first of its archives to expire
    archives: int
    archive_bytes: int | None
    url: str


@dataclass(frozen=True)
class Count:
    label: str
    value: int
    change: int | None  # since the previous digest; None: no previous digest
    url: str  # the list of what it counts, the recipient's reach applied when opened


@dataclass(frozen=True)
class Digest:
    frequency: str
    scope: str  # "the whole fleet", "Accounting and the orgs below it"
    counts: dict[str, int]
    figures: list[Count]
    stale: list[StaleDevice]
    stale_total: int  # devices not backing up: warning, critical or never backed up
    expiring: list[ExpiringDevice]
    expiring_total: int  # devices
    stale_url: str
    expiring_url: str
    previous_at: dt.datetime | None
    links: list[tuple[str, str]] = field(default_factory=list)
    reach: str = ""  # what the counts are of (reach_key), kept with them in the send log
    # The thresholds the counts were judged by, kept with them in the send log too; and
    # the previous digest's where they were others (no change shown against it).
    judged_by: Thresholds | None = None
    rejudged_from: Thresholds | None = None

    @property
    def kept_counts(self) -> dict:
        """What the send log keeps for the next digest to compare with."""
        judged = {}
        if self.judged_by is not None:
            judged = {
                "warning_days": self.judged_by.warning,
                "critical_days": self.judged_by.critical,
            }
        return {name: self.counts[name] for name in COUNTED} | {"reach": self.reach} | judged


def scope_of(user, reach) -> str:
    if reach.everything:
        return "the whole fleet"
    return f"{user.org.name} and the orgs below it"


def reach_key(reach) -> str:
    """The rows a digest counts, as the send log keeps it beside its counts: the
    subtrees by their paths of ids, which a rename leaves as they are."""
    return "everything" if reach.everything else " ".join(reach.org_paths)


def digest_of(
    user,
    frequency: str,
    now: dt.datetime,
    previous: dict | None = None,
    previous_at: dt.datetime | None = None,
) -> Digest:
    reach = reach_of(user)  # once: ReportRow.objects.visible_to(user) is within(reach.scope)
    rows = ReportRow.objects.within(reach.scope)
    # A change is between two counts of the same rows: a manager moved to another org
    # (or a system administrator made an org manager) read "(+15)" against the counts of
    # the rows they saw before (found by an audit). A count kept before the reach was
    # kept with it is taken as of the same rows.
    if previous is not None and previous.get("reach", reach_key(reach)) != reach_key(reach):
        previous = previous_at = None
    # Nor between counts judged by other thresholds: "Warning: 0 (-1)" was a change of
    # BACKUP_WARNING_DAYS told as the devices getting better (found by an audit of
    # sections 9 and 11). A count kept before its thresholds were is taken as judged alike.
    judged_by, rejudged_from = thresholds(), None
    if previous is not None and previous.get("warning_days") is not None:
        then = Thresholds(previous["warning_days"], previous["critical_days"])
        if then != judged_by:
            previous = previous_at = None
            rejudged_from = then
    devices = per_device(rows, "status")
    health = device_health_counts(devices, now, among=ACTIVE)
    counts = {"devices": health.devices} | {h.value: n for h, n in health.by_health.items()}

    def change(name: str) -> int | None:
        return None if previous is None else counts[name] - int(previous.get(name, 0))

    # Each count links to the list it counts (spec section 11): the overview's lists.
    status = REPORTS["backup-status"]
    figures = [
        Count("Active devices", counts["devices"], change("devices"), absolute(status.url()))
    ] + [
        Count(h.label, counts[h.value], change(h.value), absolute(status.url(health=h.value)))
        for h in Health
    ]
    # Not backing up: in warning or critical, or never backed up; the stalest first.
    overdue = health_q(Health.WARNING, now) | health_q(Health.CRITICAL, now) | NEVER_Q
    stale = (
        per_device(rows, "status", "device_uid", "device_name", "username", "org_name", "org_path")
        .filter(ACTIVE & overdue)
        # Never backed up first, as the list it links to sorts them (a missing date is
        # the smallest: spec section 3): the digest put them last (found by an audit).
        # Ties as that list breaks them (by device id, the digest named other devices
        # than its first rows among the many never backed up; found by an audit).
        .order_by(F("last").asc(nulls_first=True), *ordering(None, descending=False))[:STALE_LISTED]
    )
    soon = rows.filter(expiring_within(now, EXPIRY_DAYS))
    # One line per device (a device may have several archives in cold storage); the
    # set is the month's expiring archives, small, so a GROUP BY is cheap.
    expiring = (
        soon.order_by()
        .values("device_id", "device_uid", "device_name", "username", "org_name", "org_path")
        .annotate(
            expires=Min("cold_storage_expire_date"),
            archives=DbCount("archive_id"),
            stored=Sum("archive_bytes"),
        )
        .order_by("expires", "device_id")[:EXPIRING_LISTED]
    )
    stale, expiring = list(stale), list(expiring)
    # Orgs by path where a name alone is ambiguous (spec section 11), as the pages name
    # them for this reader: two orgs called Sales read alike (2026-12-06).
    names = OrgNames((row["org_path"] for row in stale + expiring), reach)
    return Digest(
        frequency=frequency,
        scope=scope_of(user, reach),
        counts=counts,
        figures=figures,
        stale=[
            StaleDevice(
                name=row["device_name"] or row["device_uid"],
                owner=row["username"] or "",
                org=names.shown(row["org_path"], row["org_name"]),
                last_completed=shown_date(row["last"]),
                health=health_of(row["last"], now),
                url=device_url(row["device_uid"]),
            )
            for row in stale
        ],
        stale_total=sum(counts[h] for h in (Health.WARNING, Health.CRITICAL, Health.NEVER)),
        expiring=[
            ExpiringDevice(
                device=row["device_name"] or row["device_uid"],
                owner=row["username"] or "",
                org=names.shown(row["org_path"], row["org_name"]),
                expires=row["expires"],
                archives=row["archives"],
                archive_bytes=row["stored"],
                url=device_url(row["device_uid"]),
            )
            for row in expiring
        ],
        expiring_total=soon.order_by().values("device_id").distinct().count(),
        stale_url=absolute(
            status.url(health=FAILING, srtKey="lastCompletedBackupDate", srtDir="asc")
        ),
        expiring_url=absolute(
            REPORTS["cold-storage"].url(
                coldStorageExpiresWithin=str(EXPIRY_DAYS),
                srtKey="coldStorageExpireDate",
                srtDir="asc",
            )
        ),
        previous_at=previous_at,
        reach=reach_key(reach),
        judged_by=judged_by,
        rejudged_from=rejudged_from,
        links=[("Overview", absolute(reverse("overview")))]
        + [(report.title, absolute(report.default_url)) for report in REPORTS.values()],
    )
