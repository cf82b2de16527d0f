"""How old the data is (spec section 8): as of the export of the last successful import
or sync (Run.data_as_of), and whether that is longer ago than DATA_STALE_HOURS. Part of
every page's frame (backupreport.frame); the overview shows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from reports.refresh.models import Run


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
