"""The figures a page shows first, each under its one cache key.

The pages ask for them through `warmed` (the cache, else what warming stored, else
computed); warming (reports.warming.warm) asks the very same functions through `warm`,
so the keys cannot drift apart. Every key holds the viewer's scope (their reach without
who holds it, accounts.roles), in the rows' SQL or as itself: a manager never gets the
figures of another scope.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from accounts.roles import Reach
from reports.cache import query_key, warmed
from reports.catalog import Report
from reports.dashboards.overview import OverviewFigures, overview_figures
from reports.dashboards.paging import Summary, summarize
from reports.history.compliance import Compliance, compliance_of
from reports.history.reading import Figures, trend_of


def overview(visible: QuerySet, through=warmed) -> OverviewFigures:
    """Independent of the clock: `.at(now)` puts the devices into health bands."""
    return through("overview", query_key(visible), lambda: overview_figures(visible))


def summary(report: Report, rows: QuerySet, through=warmed) -> Summary:
    key = f"{query_key(rows)}|{report.totals}"
    return through("summary", key, lambda: summarize(rows, exact=report.totals))


def trend(reach: Reach, today: dt.date, through=warmed) -> list[tuple[dt.date, Figures]]:
    key = f"{reach.scope!r}|{today.isoformat()}"
    return through("trend", key, lambda: trend_of(reach.scope, today))


def compliance(reach: Reach, org_uid: str | None, through=warmed) -> Compliance:
    """Raises OutOfReach, which is not cached."""
    key = f"{reach.scope!r}|{org_uid or ''}"
    return through("compliance", key, lambda: compliance_of(reach.scope, org_uid))
