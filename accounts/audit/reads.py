"""API page reads, summarised per caller and hour: one `api.reads` event per caller
and hour (count, first, last, resources, addresses), never one a page (1,800 pages a
second would drown the log and slow every page).

Each web process counts in memory (a dict update a request) and adds its counts to the
hour's ReadTally rows at most every AUDIT_READS_FLUSH_SECONDS; once an hour is over,
its tallies become events. A process that stops loses at most its unflushed counts;
one that flushes after its hour was closed makes a second, later summary of that hour.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from accounts.addresses import client_address
from accounts.audit.models import ReadTally
from accounts.audit.recording import record

log = logging.getLogger(__name__)
MAX_LISTED = 20  # resources and addresses named in one summary


@dataclass
class Count:
    count: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    resources: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)


def hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _merge(listed: list, more: set[str]) -> list:
    return sorted(set(listed) | more)[:MAX_LISTED]


class ReadCounter:
    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str, str, dt.datetime], Count] = {}
        self._flush_due: float | None = None  # set by the first read

    def count(self, request: HttpRequest, resource: str) -> None:
        """One API page read by the request's caller (request.user, request.api_client):
        on every API request, so a few dict operations and one setting read; the
        database only when a flush is due."""
        if not settings.AUDIT_LOG:
            return
        now = timezone.now()
        client = getattr(request, "api_client", None)
        key = (
            request.user.pk,
            request.user.get_username(),
            client.client_id if client is not None else "",
            hour_of(now),
        )
        with self._lock:
            tally = self._counts.get(key)
            if tally is None:
                tally = self._counts[key] = Count(first=now)
            tally.count += 1
            tally.last = now
            if len(tally.resources) < MAX_LISTED:
                tally.resources.add(resource)
            if len(tally.addresses) < MAX_LISTED:
                tally.addresses.add(client_address(request) or "")
            if self._flush_due is None:
                self._flush_due = self.clock() + settings.AUDIT_READS_FLUSH_SECONDS
            due = self.clock() >= self._flush_due
        if due:
            try:
                self.flush()
            except Exception:  # a page is never refused for its tally; the counts are lost
                log.exception("audit: API read counts could not be written")

    def forget(self) -> None:
        """Drop the counts not yet written (tests: nothing carried from one to the next)."""
        with self._lock:
            self._counts.clear()
            self._flush_due = None

    def flush(self) -> None:
        """Add the counts kept in memory to the tallies; close the hours that are over."""
        with self._lock:
            counts, self._counts = self._counts, {}
            self._flush_due = self.clock() + settings.AUDIT_READS_FLUSH_SECONDS
        with transaction.atomic():
            for (user_id, username, client_id, hour), tally in sorted(
                counts.items(), key=lambda item: item[0][:3] + (item[0][3].isoformat(),)
            ):
                _add(user_id, username, client_id, hour, tally)
        close_hours_before(hour_of(timezone.now()))


def _add(user_id: int, username: str, client_id: str, hour: dt.datetime, tally: Count) -> None:
    row, created = ReadTally.objects.select_for_update().get_or_create(
        user_id=user_id,
        client_id=client_id,
        hour=hour,
        defaults={
            "username": username,
            "count": tally.count,
            "first": tally.first,
            "last": tally.last,
            "resources": sorted(tally.resources),
            "addresses": sorted(tally.addresses),
        },
    )
    if created:
        return
    ReadTally.objects.filter(pk=row.pk).update(
        count=F("count") + tally.count,
        first=min(row.first, tally.first),
        last=max(row.last, tally.last),
        resources=_merge(row.resources, tally.resources),
        addresses=_merge(row.addresses, tally.addresses),
    )


def close_hours_before(hour: dt.datetime) -> int:
    """Make each tally of an hour before `hour` one api.reads event; how many."""
    closed = 0
    with transaction.atomic():
        for tally in ReadTally.objects.select_for_update().filter(hour__lt=hour).order_by("id"):
            record(
                "api.reads",
                actor=_Caller(tally.user_id, tally.username),
                target=tally.client_id and f"API client {tally.client_id}",
                at=tally.last,
                ambient=False,
                hour=tally.hour.isoformat(),
                count=tally.count,
                first=tally.first.isoformat(),
                last=tally.last.isoformat(),
                resources=tally.resources,
                addresses=tally.addresses,
                client_id=tally.client_id,
            )
            tally.delete()
            closed += 1
    return closed


@dataclass(frozen=True)
class _Caller:
    pk: int
    username: str

    def get_username(self) -> str:
        return self.username


reads = ReadCounter()


def count(request: HttpRequest, resource: str) -> None:
    reads.count(request, resource)
