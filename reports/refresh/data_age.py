"""How old the data is (spec section 8): as of the export of the last successful import
or sync (Run.data_as_of), and whether that is longer ago than DATA_STALE_HOURS. Part of
every page's frame (backupreport.frame); the overview shows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from reports.refresh.models import Run

# The oldest time an export may say it was taken: no export of a backed-up fleet is
# older. A year typed wrong ("Exported at" 0001-01-01) made the data 2,025 years old
# on every page and /metrics' data-as-of negative (2026-12-06).
EARLIEST_EXPORT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def export_time_problem(exported_at: dt.datetime, now: dt.datetime) -> str | None:
    """What is wrong with the time an upload or import says its export was taken, or
    None: the one rule of the upload form and of --exported-at."""
    if exported_at > now:
        return "The export cannot have been taken in the future."
    if exported_at < EARLIEST_EXPORT:
        return f"The export cannot have been taken before {EARLIEST_EXPORT:%Y-%m-%d}."
    return None


@dataclass(frozen=True)
class DataAge:
    last_refresh: Run | None  # None: no import or sync recorded yet
    checked_at: dt.datetime
    stale_hours: int

    @property
    def stale(self) -> bool:
        if self.last_refresh is None:
            return True
        age = self.checked_at - self.last_refresh.data_as_of
        return age > dt.timedelta(hours=self.stale_hours)


def data_age(now: dt.datetime) -> DataAge:
    """One indexed query."""
    return DataAge(Run.objects.last_refresh(), now, settings.DATA_STALE_HOURS)
