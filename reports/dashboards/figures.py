"""The dashboards' figures a page shows first, each under its one cache key: the
overview, and each report's totals.

The pages ask for them through `warmed` (the cache, else what warming stored, else
computed); warming (reports.warming.warm) asks the very same functions through
`cache.warm`, by `warm()` below, so the keys cannot drift apart. Every key holds the
viewer's scope in the rows' SQL: a manager never gets another scope's figures.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import fields
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import QueryDict

from reports import cache
from reports.cache import query_key, warmed
from reports.catalog import REPORTS, Report
from reports.dashboards import filters, rollups
from reports.dashboards.filters import dashboard_query
from reports.dashboards.overview import OverviewFigures, overview_figures
from reports.dashboards.paging import Summary, summarize
from reports.models import ReportRow


def nothing_imported(reach) -> bool:
    """Whether an empty list before a system administrator is an empty fleet: no device
    imported or synced yet. Its pages say so and lead to the Data page; "No active device
    is yours to see" read as a matter of permissions to the one person who may see
    everything (found by an audit of the pages). Never for another reach: to anyone else
    an empty list says nothing of the rest of the fleet."""
    return reach.everything and not ReportRow.objects.exists()


def overview(visible: QuerySet, through=warmed) -> OverviewFigures:
    """Independent of the clock: `.at(now)` puts the devices into health bands."""
    return through("overview", query_key(visible), lambda: overview_figures(visible))


# The summary's fields are in its key: a summary warmed into the database before it
# gained a field (Summary.archives) was read back without it, at the same generation.
SUMMARY_SHAPE = ",".join(field.name for field in fields(Summary))


def summary(report: Report, rows: QuerySet, through=warmed) -> Summary:
    key = f"{query_key(rows)}|{report.totals}|{SUMMARY_SHAPE}"
    return through("summary", key, lambda: summarize(rows, exact=report.totals))


def rollup_count(rows: QuerySet, per: rollups.Per, through=warmed) -> int:
    return through(
        "rollup-count", f"{per.slug}|{query_key(rows)}", lambda: rollups.count(rows, per)
    )


def rollup_page(
    rows: QuerySet, per: rollups.Per, sort: str, descending: bool, number: int, through=warmed
) -> list[rollups.Rollup]:
    """One page of storage by user or by org. Grouping a million rows twice takes
    seconds: each page is kept until the table changes, and the first page of each
    scope's two rollups is warmed after every refresh."""
    key = f"{per.slug}|{sort}|{descending}|{number}|{query_key(rows)}"
    start = (number - 1) * rollups.PAGE_SIZE
    return through(
        "rollup",
        key,
        lambda: rollups.page(rows, per, sort, descending, start, rollups.PAGE_SIZE),
    )


def expiry_dates(rows: QuerySet, through=warmed) -> list[int]:
    """The cold-storage expiries of these rows, as sorted Unix seconds: independent of
    the clock, so kept until the table changes and warmed with the report's totals."""
    dates = rows.exclude(cold_storage_expire_date=None).order_by()
    return through(
        "expiries",
        query_key(rows),
        lambda: sorted(
            int(date.timestamp())
            for date in dates.values_list("cold_storage_expire_date", flat=True).iterator()
        ),
    )


def expired(rows: QuerySet, now: dt.datetime) -> int:
    """How many of these rows are archives whose cold-storage expiry has passed, to the
    minute as the coldStorageExpired filter judges it (filters.expired)."""
    return bisect.bisect_left(expiry_dates(rows), filters.expiry_minute(now).timestamp())


def warm(user, now: dt.datetime) -> int:
    """The overview and each report's default totals of this user's scope, computed and
    stored (reports.warming); how many figures."""
    overview(ReportRow.objects.visible_to(user), through=cache.warm)
    count = 1
    for report in REPORTS.values():
        if report.needs_search:
            continue  # lists nothing until a search is given
        query = dashboard_query(QueryDict(urlencode(report.defaults)), user)
        summary(report, query.rows, through=cache.warm)
        count += 1
        if report.slug == "cold-storage":
            expiry_dates(query.rows, through=cache.warm)
            count += 1
    rows = dashboard_query(QueryDict(""), user).rows  # storage by user and org's defaults
    for per in rollups.PER.values():
        rollup_count(rows, per, through=cache.warm)
        rollup_page(rows, per, rollups.DEFAULT_SORT, True, 1, through=cache.warm)
        count += 2
    return count
