"""The overview's numbers, each over the rows the user may see (ReportRow only).

A handful of queries, whatever the fleet size: health and age bands of active devices,
storage totals, storage by org (and its orgs' ancestors' names), devices by OS.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum

from accounts.models import Org
from reports.health import DeviceHealthCounts, device_health_counts

TOP_ORGS = 10


@dataclass(frozen=True)
class Storage:
    devices: int
    archives: int
    selected_bytes: int
    archive_bytes: int
    cold_archives: int
    cold_bytes: int


@dataclass(frozen=True)
class OrgStorage:
    org_uid: str | None
    org_name: str | None
    archive_bytes: int
    path_names: tuple[str, ...] = ()  # the org's ancestors' names, root first

    @property
    def label(self) -> str:
        """Names repeat across the tree (every region has its Engineering): add the parent."""
        name = self.org_name or "(no org)"
        return f"{self.path_names[-1]} › {name}" if self.path_names else name

    @property
    def full_path(self) -> str:
        return " › ".join([*self.path_names, self.org_name or "(no org)"])


@dataclass(frozen=True)
class OsDevices:
    os: str | None
    devices: int


@dataclass(frozen=True)
class Overview:
    health: DeviceHealthCounts  # active devices
    storage: Storage
    by_org: list[OrgStorage]
    by_os: list[OsDevices]  # active devices


def active(rows: QuerySet) -> QuerySet:
    """As the report's active=true: the device's status is Active."""
    return rows.filter(status="Active")


def storage_of(rows: QuerySet) -> Storage:
    cold = Q(cold_storage=True)
    totals = rows.order_by().aggregate(
        devices=Count("device_id", distinct=True),
        archives=Count("archive_id"),
        selected=Sum("selected_bytes"),
        archived=Sum("archive_bytes"),
        cold_archives=Count("archive_id", filter=cold),
        cold_bytes=Sum("archive_bytes", filter=cold),
    )
    return Storage(
        devices=totals["devices"],
        archives=totals["archives"],
        selected_bytes=totals["selected"] or 0,
        archive_bytes=totals["archived"] or 0,
        cold_archives=totals["cold_archives"],
        cold_bytes=totals["cold_bytes"] or 0,
    )


def _pks(path: str) -> list[int]:
    return [int(pk) for pk in path.strip("/").split("/") if pk]


def storage_by_org(rows: QuerySet, limit: int = TOP_ORGS) -> list[OrgStorage]:
    """The orgs whose owners' archives take the most space (an org alone, not its subtree).

    Ancestors' names come from the Org rows named in the paths (identity data, one query).
    """
    biggest = list(
        rows.order_by()
        .values("org_uid", "org_name", "org_path")
        .annotate(archived=Sum("archive_bytes"))
        .filter(archived__gt=0)
        .order_by(F("archived").desc(), "org_name")[:limit]
    )
    ancestors = {pk for o in biggest for pk in _pks(o["org_path"])[:-1]}
    names = dict(Org.objects.filter(pk__in=ancestors).values_list("pk", "name"))
    return [
        OrgStorage(
            o["org_uid"],
            o["org_name"],
            o["archived"],
            tuple(names.get(pk, "?") for pk in _pks(o["org_path"])[:-1]),
        )
        for o in biggest
    ]


def devices_by_os(rows: QuerySet) -> list[OsDevices]:
    counts = (
        rows.order_by()
        .values("os")
        .annotate(devices=Count("device_id", distinct=True))
        .order_by("-devices", "os")
    )
    return [OsDevices(c["os"], c["devices"]) for c in counts]


def overview_of(visible: QuerySet) -> Overview:
    return Overview(
        health=device_health_counts(active(visible)),
        storage=storage_of(visible),
        by_org=storage_by_org(visible),
        by_os=devices_by_os(active(visible)),
    )
