"""Counting and paging that stay fast at a million rows.

A page is fetched with one row more than it shows, so "is there a next page" costs no
COUNT. The result count of an ordinary report stops at COUNT_CAP: it counts a LIMITed
subquery, so its cost is bounded whatever the table's size. Reports that promise totals
(disk usage, migration plan, cold storage) aggregate the whole filtered set in the same
single query that counts it. Measured numbers are in bench/results/.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db.models import Count, Max, QuerySet, Sum

from reports.query import MAX_OFFSET

COUNT_CAP = 10_000
# Never shown on a page, and the widest columns of a row: the row's stored encodings for
# the API and the CSV (reports.row), which cost a 1,000-row page a third of its fetch
# (bench/page_sizes.py).
UNSHOWN = (
    "csv_line",
    "csv_extra",
    "json_object",
)


@dataclass(frozen=True)
class Summary:
    rows: int  # one per archive, and one for each device without an archive
    devices: int
    archives: int  # the rows with an archive: "Archives" counts these, never rows
    selected_bytes: int  # each device once: its largest selection (reports.health)
    archive_bytes: int  # summed over archives
    # The devices' every archive, each device's sum once: an archive filter (destination=)
    # keeps some of a device's archives, and a device's row shows them all.
    device_archive_bytes: int
    capped: bool = False  # more than COUNT_CAP rows; the numbers are lower bounds


def summarize(rows: QuerySet, *, exact: bool) -> Summary:
    """Rows, devices and bytes of the filtered set; up to COUNT_CAP rows unless exact.

    One GROUP BY device in a subquery: a filter on archive fields (destinationName...)
    may keep some of a device's rows only, yet the device's selection counts once, its
    largest (spec section 11), whichever of its rows are in the set."""
    counted = rows.order_by()
    if not exact:
        counted = rows.model.objects.filter(pk__in=counted.values("pk")[: COUNT_CAP + 1])
    by_device = counted.values("device_id").annotate(
        n_rows=Count("pk"),
        n_archives=Count("archive_id"),  # a device without an archive has a null one
        n_selected=Max("device_selected_bytes"),
        n_archived=Sum("archive_bytes"),
        n_device_archived=Max("device_archive_bytes"),  # the same on each of its rows
    )
    # Named apart: an aggregate over an annotation may not take its name.
    totals = by_device.aggregate(
        rows=Sum("n_rows"),
        devices=Count("device_id"),
        archives=Sum("n_archives"),
        selected=Sum("n_selected"),
        archived=Sum("n_archived"),
        device_archived=Sum("n_device_archived"),
    )
    row_count, archive_count = totals["rows"] or 0, totals["archives"] or 0
    return Summary(
        rows=row_count if exact else min(row_count, COUNT_CAP),
        devices=totals["devices"],
        archives=archive_count if exact else min(archive_count, COUNT_CAP),
        selected_bytes=totals["selected"] or 0,
        archive_bytes=totals["archived"] or 0,
        device_archive_bytes=totals["device_archived"] or 0,
        capped=not exact and row_count > COUNT_CAP,
    )


def summary_of_devices(summary: Summary, devices: QuerySet) -> Summary:
    """The summary of a view of one row per device, its rows the devices: where the
    archive rows passed COUNT_CAP, the devices are counted up to it themselves (at two
    archives a device, 6,000 devices passed it, and the page said "more than 10,000
    devices"; found by an audit).

    Its archived bytes are the devices' every archive, as each row's "Stored (all
    destinations)" and the sort by archiveBytes (filters.DEVICE_SORT): a row is the
    whole device, its destinations listed inside it, and a migration moves the whole
    device, whichever destination an archive filter picked it by. Summed over the
    matching archives alone, the total fell short of its own column (found by an
    audit)."""
    if summary.capped:
        counted = devices.order_by()[: COUNT_CAP + 1].count()
        summary = replace(summary, devices=min(counted, COUNT_CAP), capped=counted > COUNT_CAP)
    return replace(summary, rows=summary.devices, archive_bytes=summary.device_archive_bytes)


@dataclass(frozen=True)
class Page:
    rows: list
    number: int
    size: int
    has_next: bool
    last_number: int | None  # None when the count was capped

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1


def fetch_page(rows: QuerySet, number: int, size: int, summary: Summary) -> Page:
    start = (number - 1) * size
    fetched = [] if start > MAX_OFFSET else list(rows.defer(*UNSHOWN)[start : start + size + 1])
    last = None if summary.capped else max(1, -(-summary.rows // size))
    return Page(fetched[:size], number, size, len(fetched) > size, last)
