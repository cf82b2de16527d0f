"""History's figures a page shows first, each under its one cache key: the 90-day trend
and compliance by org.

The pages ask for them through `warmed` (the cache, else what warming stored, else
computed); warming (reports.warming.warm) asks the very same functions through
`cache.warm`, by `warm()` below, so the keys cannot drift apart. Every key holds the
viewer's scope (their reach without who holds it, accounts.roles): a manager never gets
another scope's figures.
"""

from __future__ import annotations

import datetime as dt

from accounts.roles import Reach, reach_of
from reports import cache
from reports.cache import warmed
from reports.health import ACTIVE, BackupDates, backup_dates_by, per_device
from reports.history.compliance import Compliance, compliance_of
from reports.history.reading import Figures, trend_days, trend_of
from reports.history.snapshots import day_of
from reports.models import ReportRow


def trend(reach: Reach, today: dt.date, through=warmed) -> list[tuple[dt.date, Figures]]:
    # The days in the key: HISTORY_DAYS lowered (reading.trend_days) is a trend of fewer
    # days, not the longer one cached before the restart.
    days = trend_days()
    key = f"{reach.scope!r}|{today.isoformat()}|{days}"
    return through("trend", key, lambda: trend_of(reach.scope, today, days))


def compliance(reach: Reach, org_uid: str | None, through=warmed) -> Compliance:
    """Raises OutOfReach, which is not cached."""
    key = f"{reach.scope!r}|{org_uid or ''}"
    return through("compliance", key, lambda: compliance_of(reach.scope, org_uid))


def health_by_org(through=warmed) -> dict[int, BackupDates]:
    """Every org's active devices' last backups (BackupDates, by org id): independent
    of the clock, so kept until the table changes; compliance's "now" sums the orgs of
    each row at the moment asked. One figure for every scope: a row adds up only orgs
    within its viewer's reach (compliance.ComplianceRow.org_ids)."""
    devices = per_device(ReportRow.objects.filter(org_id__isnull=False), "org_id").filter(ACTIVE)
    return through("health-by-org", "", lambda: backup_dates_by(devices, "org_id"))


def warm(user, now: dt.datetime) -> int:
    """The trend (today's, and tomorrow's for the hours before the daily snapshot) and
    compliance's top level of this user's scope, computed and stored
    (reports.warming); how many figures."""
    reach = reach_of(user)
    today = day_of(now)
    for day in (today, today + dt.timedelta(days=1)):
        trend(reach, day, through=cache.warm)
    compliance(reach, None, through=cache.warm)
    return 3


def warm_fleet(now: dt.datetime) -> int:
    """Once for all scopes: every org's health (compliance's "now")."""
    health_by_org(through=cache.warm)
    return 1
