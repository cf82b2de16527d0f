"""API page reads, summarised per caller and hour: one `api.reads` event per caller
and hour (count, first, last, resources, addresses), never one a page (1,800 pages a
second would drown the log and slow every page).

Each web process counts in memory (a dict update a request); a timer thread adds its
counts to the hour's ReadTally rows AUDIT_READS_FLUSH_SECONDS after the first one
pending, whether more reads come or not, and the process's exit adds what is left;
once an hour is over, its tallies become events. A process killed outright loses at
most its unflushed counts; one that flushes after its hour was closed makes a second,
later summary of that hour.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import weakref
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from accounts.addresses import client_address
from accounts.audit.models import ReadTally
from accounts.audit.recording import record
from accounts.locks import wait_for_the_writer, wait_in_transaction

log = logging.getLogger(__name__)
MAX_LISTED = 20  # resources and addresses named in one summary
READS_LOCK = 0x42524152  # "BRAR", any number of its own: flushes and closings in turn


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
    """A process's API page reads, counted in memory and written by a timer thread
    AUDIT_READS_FLUSH_SECONDS after the first one pending, and at the interpreter's
    exit. They were written only by a later read in the same process, in that read's
    request: an idle worker held its counts for hours, past its hour's summary, and a
    recycled one lost them (found by an audit)."""

    def __init__(self) -> None:
        self._start_afresh()
        # A process forked from this one (gunicorn's workers) has neither the timer's
        # thread nor a right to the counts, which stay the parent's to write; the lock
        # may have been held by a thread that the child does not have.
        me = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (counter := me()) and counter._start_afresh())

    def _start_afresh(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str, str, dt.datetime], Count] = {}
        self._timer: threading.Timer | None = None  # armed by the first count pending

    def count(self, request: HttpRequest, resource: str) -> None:
        """One API page read by the request's caller (request.user, request.api_client):
        on every API request, so a few dict operations and one setting read; the
        database never (the timer thread writes)."""
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
            if self._timer is None:
                self._timer = threading.Timer(
                    settings.AUDIT_READS_FLUSH_SECONDS, self._flush_when_due
                )
                self._timer.daemon = True  # the exit's flush writes what it held
                self._timer.name = "audit-reads-flush"
                self._timer.start()

    def _flush_when_due(self) -> None:
        with self._lock:
            self._timer = None  # a count from now on arms the next flush
        try:
            # This thread's own connection waits as long as an import holds SQLite's
            # write lock, not the web's SQLITE_BUSY_SECONDS: no request waits on it, and
            # the counts were lost after 20 s of a long import (found by an audit).
            wait_for_the_writer()
            self.flush()
        except Exception:  # the next flush may do; these counts are lost
            log.exception("audit: API read counts could not be written")
        finally:
            connection.close()  # this thread's own

    def flush_at_exit(self) -> None:
        """What is still counted, written as the process ends (a worker recycled or
        stopped); a database out of reach by then loses it, saying so."""
        with self._lock:
            pending = bool(self._counts)
        if not pending:
            return
        try:
            self.flush()
        except Exception:
            log.exception("audit: API read counts could not be written at exit")

    def forget(self) -> None:
        """Drop the counts not yet written and the flush armed for them (tests: nothing
        carried from one to the next, nor written by a timer during another)."""
        with self._lock:
            self._counts.clear()
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None

    def flush(self) -> None:
        """Add the counts kept in memory to the tallies; close the hours that are over."""
        with self._lock:
            counts, self._counts = self._counts, {}
        with transaction.atomic():
            # SQLite's write lock first: reading the tally then writing failed at once
            # with "database is locked" when an import committed in between, and the
            # counts were lost (found by an audit of `make run` under load).
            wait_in_transaction(READS_LOCK)
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
        wait_in_transaction(READS_LOCK)  # as flush: SQLite's write lock before the reads
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
atexit.register(reads.flush_at_exit)


def count(request: HttpRequest, resource: str) -> None:
    reads.count(request, resource)
