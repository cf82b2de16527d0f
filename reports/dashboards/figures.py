"""The dashboards' figures a page shows first, each under its one cache key: the
overview, and each report's totals.

The pages ask for them through `warmed` (the cache, else what warming stored, else
computed); warming (reports.warming.warm) asks the very same functions through
`cache.warm`, by `warm()` below, so the keys cannot drift apart. Every key holds the
viewer's scope in the rows' SQL: a manager never gets another scope's figures.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import QueryDict

from reports import cache
from reports.cache import query_key, warmed
from reports.catalog import REPORTS, Report
from reports.dashboards import filters
from reports.dashboards.filters import dashboard_query
from reports.dashboards.overview import OverviewFigures, overview_figures
from reports.dashboards.paging import Summary, summarize
from reports.models import ReportRow


def overview(visible: QuerySet, through=warmed) -> OverviewFigures:
    """Independent of the clock: `.at(now)` puts the devices into health bands."""
    return through("overview", query_key(visible), lambda: overview_figures(visible))


def summary(report: Report, rows: QuerySet, through=warmed) -> Summary:
    key = f"{query_key(rows)}|{report.totals}"
    return through("summary", key, lambda: summarize(rows, exact=report.totals))


def expired(rows: QuerySet, now: dt.datetime) -> int:
    """How many of these rows are archives whose cold-storage expiry has passed. Kept
    until the table changes or the minute turns: an expiry passes with the clock."""
    key = f"{query_key(rows)}|{filters.expiry_minute(now).isoformat()}"
    return cache.cached("expired", key, rows.filter(filters.expired(now)).order_by().count)


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
    return count
