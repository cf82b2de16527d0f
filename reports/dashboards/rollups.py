"""Storage by user and by org: who uses the most (use case 2, spec section 11).

Disk usage lists archives; a person with three laptops is three rows and never one sum.
A rollup groups the filtered, visible report rows twice: first per device (its
archives' bytes summed, each destination storing its own copy; its selection counted
once, the largest over all its archives whichever of them the filters keep, as the
report's totals count it, reports.dashboards.paging.summarize), then per owner or per
owner's org (the devices' sums added, counted, and the largest kept). Grouped in that
order, PostgreSQL reads the rows in the order of one covering index (migrations 0015,
0022) and both groupings stream, with no sort and no hash table of a million devices:
measured in the README.

Everything comes from ReportRow, within the viewer's reach: the rows given are the
report query's (reports.dashboards.filters.dashboard_query).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField, Count, Max, QuerySet, Sum
from django.db.models.functions import Cast, Coalesce

from accounts.models import Org
from reports.dashboards.device_paths import device_url


@dataclass(frozen=True)
class Per:
    slug: str  # in the address: by-user, by-org
    title: str
    key: str  # the report row's column the rows are grouped by
    noun: str  # what one row of the rollup is


PER = {
    "user": Per("user", "Storage by user", "owner_id", "user"),
    "org": Per("org", "Storage by org", "org_id", "org"),
}

# srtKey of a rollup -> the grouped column it orders by.
SORTS = {
    "archiveBytes": "archived",
    "selectedBytes": "selected",
    "devices": "devices",
    "largestDevice": "largest",
}
DEFAULT_SORT = "archiveBytes"
PAGE_SIZE = 50


@dataclass
class Rollup:
    """One user's or one org's storage."""

    key: int | None  # owner_id or org_id
    archive_bytes: int
    selected_bytes: int  # each device's selection once
    devices: int
    archives: int
    largest_device_bytes: int
    # Read for the page's rows only (describe()).
    largest_device_name: str | None = None
    largest_device_uid: str | None = None
    who: dict = field(default_factory=dict)  # the owner's or org's fields of a report row

    @property
    def largest_device_url(self) -> str:
        return device_url(self.largest_device_uid) if self.largest_device_uid else ""


def _per_device(rows: QuerySet, per: Per, *device_wide: str) -> QuerySet:
    """One row per device (device_wide: more columns equal on all its rows)."""
    return (
        rows.order_by()
        .values(per.key, "device_id", *device_wide)
        .annotate(
            # A whole number again: PostgreSQL sums bigints as numeric, which the
            # second grouping would add up many times slower.
            archived=Cast(Coalesce(Sum("archive_bytes"), 0), BigIntegerField()),
            selected=Coalesce(Max("device_selected_bytes"), 0),
            archives=Count("archive_id"),
        )
    )


def _grouped_sql(rows: QuerySet, per: Per) -> tuple[str, list]:
    sql, params = _per_device(rows, per).query.sql_with_params()
    key = connections[rows.db].ops.quote_name(per.key)
    return (
        f"SELECT {key}, SUM(archived) AS archived, SUM(selected) AS selected, "
        f"COUNT(*) AS devices, SUM(archives) AS archives, MAX(archived) AS largest "
        f"FROM ({sql}) AS per_device GROUP BY {key}",
        list(params),
    )


def _ordered_sql(rows: QuerySet, per: Per, sort: str, descending: bool) -> tuple[str, list]:
    sql, params = _grouped_sql(rows, per)
    direction = "DESC" if descending else "ASC"
    key = connections[rows.db].ops.quote_name(per.key)
    return f"{sql} ORDER BY {SORTS[sort]} {direction}, {key} ASC", params


def _read(rows: QuerySet, sql: str, params: list) -> list[Rollup]:
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [Rollup(*(value if value is None else int(value) for value in r)) for r in cursor]


def count(rows: QuerySet, per: Per) -> int:
    """How many users or orgs the rows have."""
    return rows.order_by().values(per.key).distinct().count()


def page(
    rows: QuerySet, per: Per, sort: str, descending: bool, start: int, size: int
) -> list[Rollup]:
    """One page of the rollup, read with its owners' or orgs' names and largest device."""
    try:
        sql, params = _ordered_sql(rows, per, sort, descending)
    except EmptyResultSet:
        return []
    found = _read(rows, f"{sql} LIMIT %s OFFSET %s", [*params, size, start])
    describe(rows, per, found)
    return found


def every(
    rows: QuerySet, per: Per, sort: str, descending: bool, batch: int = 1000
) -> Iterator[list[Rollup]]:
    """The whole rollup in order, in described batches (the CSV export)."""
    try:
        sql, params = _ordered_sql(rows, per, sort, descending)
    except EmptyResultSet:
        return
    for chunk in _chunks(_read(rows, sql, params), batch):
        describe(rows, per, chunk)
        yield chunk


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


WHO = ("user_uid", "username", "first_name", "last_name", "email", "org_path", "org_name")


def describe(rows: QuerySet, per: Per, found: list[Rollup]) -> None:
    """Fill in who each rollup row is: an org from the org table (identity data, by
    primary key); a user, with the name of their largest device, from one query over
    the devices of these users whose sum is one of the largest (a user's devices are
    few; an org's may be a hundred thousand, so an org names only its largest size)."""
    if not found:
        return
    keys = [r.key for r in found if r.key is not None]
    if per.slug == "org":
        orgs = Org.objects.in_bulk(keys)
        for rollup in found:
            org = orgs.get(rollup.key)
            if org is not None:
                rollup.who = {"org_uid": org.org_uid, "org_name": org.name, "org_path": org.path}
        return
    largest = {r.largest_device_bytes for r in found}
    devices = (
        _per_device(rows.filter(owner_id__in=keys), per, "device_name", "device_uid", *WHO)
        .filter(archived__in=largest)
        .order_by("device_name", "device_uid")
    )
    by_key: dict[int, dict] = {}
    for device in devices:
        best = by_key.get(device[per.key])
        if best is None or device["archived"] > best["archived"]:
            by_key[device[per.key]] = device
    for rollup in found:
        device = by_key.get(rollup.key)
        if device is not None and device["archived"] == rollup.largest_device_bytes:
            rollup.largest_device_name = device["device_name"] or device["device_uid"]
            rollup.largest_device_uid = device["device_uid"]
            rollup.who = {name: device[name] for name in WHO}
