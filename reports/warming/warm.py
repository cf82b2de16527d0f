"""Computing the first figures of every page for every role scope that exists, after
each refresh, so that no visitor pays for a cold cache (issue 12, point 2).

A scope is what a role sees (accounts.roles, Reach.scope): everything, for the system
administrators; an org's subtree, for each org that has an org manager. Desktop users
see their own devices, whose figures are cheap. Each scope is warmed as one of its
holders would ask, through reports.warming.figures, so the keys are the pages' own.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import connection, transaction
from django.db.models import Q
from django.http import QueryDict

from accounts.models import User
from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS, Reach, reach_of
from reports import cache, clock
from reports.catalog import REPORTS
from reports.dashboards.filters import dashboard_query
from reports.history.reading import has_history
from reports.history.snapshots import day_of
from reports.models import ReportRow
from reports.warming import figures, store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Warmed:
    scopes: int
    figures: int


def holders() -> Iterator[tuple[Reach, User]]:
    """One user of each scope that exists with fleet figures: (scope, user)."""
    candidates = (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__name=SYSTEM_ADMINISTRATORS)
            | Q(groups__name=ORG_MANAGERS, org__isnull=False)
        )
        .select_related("org")
        .distinct()
        .order_by("pk")
    )
    seen: set[Reach] = set()
    for user in candidates:
        scope = reach_of(user).scope
        if has_history(scope) and scope not in seen:
            seen.add(scope)
            yield scope, user


def warm_scope(user: User, now: dt.datetime) -> int:
    """The overview, each report's default summary, the trend (today's, and tomorrow's
    for the hours before the daily snapshot) and compliance's top level, of this user's
    scope. Returns how many figures were stored."""
    through = cache.warm
    figures.overview(ReportRow.objects.visible_to(user), through=through)
    count = 1
    for report in REPORTS.values():
        if report.needs_search:
            continue  # lists nothing until a search is given
        query = dashboard_query(QueryDict(urlencode(report.defaults)), user)
        figures.summary(report, query.rows, through=through)
        count += 1
    reach = reach_of(user)
    today = day_of(now)
    for day in (today, today + dt.timedelta(days=1)):
        figures.trend(reach, day, through=through)
        count += 1
    figures.compliance(reach, None, through=through)
    return count + 1


def warm_everything(now: dt.datetime | None = None) -> Warmed:
    """Every scope's first figures, from one consistent view of the data.

    Where nothing is cached (SQLite: no generation to key by) there is nothing to warm.
    """
    if cache.generation() is None:
        return Warmed(0, 0)
    now = now or clock.now()
    first_statement = not connection.in_atomic_block
    with transaction.atomic():
        if first_statement:
            # One snapshot of the data for the generation and every figure keyed by it:
            # an import committed meanwhile cannot slip other rows under this number.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        number = cache.generation()
        scopes = stored = 0
        for _scope, user in holders():
            stored += warm_scope(user, now)
            scopes += 1
        store.forget_before(number)
    return Warmed(scopes, stored)


def warm_logged(after: str) -> Warmed | None:
    """warm_everything(), a failure logged: the data is in whether or not it is warm."""
    try:
        return warm_everything()
    except Exception:
        logger.exception("Warming the figures after %s failed; they are computed on demand", after)
        return None
