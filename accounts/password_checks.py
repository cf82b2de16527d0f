"""Password checks in flight: the lockout holds when the guesses come all at once.

django-axes counts a failed sign-in after the password check that failed. Forty wrong
passwords sent together all passed its look at the count before the first failure was
written, and forty checks ran against a limit of ten (issue 23). So a check is admitted
first: for each way failures are counted (the username; the address), the failures
within the cool-off plus the checks running now must stay below the limit.

- Admission is one short transaction, never held across the slow hash. Admissions for
  one key take turns: on PostgreSQL through a transaction-level advisory lock per key,
  on SQLite through the database's one write lock, which the transaction takes with its
  first statement (a write: a transaction that reads first fails with "database is
  locked" when another writer commits meanwhile, instead of waiting).
- A check that cannot be admitted yet waits for those in flight: when they fail, the lock
  holds and it is refused; when they succeed, it runs. Many right passwords at once from
  one office's address wait their turn (WAIT_SECONDS at most) rather than being refused.
- Credentials that need no slow check (recently verified, an API client's secret) pass
  without one while no check running could lock them (accounts.lockout.is_open_row),
  and otherwise wait their turn like any other.
- A failed check ends in the transaction that counts its failure (accounts.lockout.
  LockoutHandler): at every moment each check is counted once, as running or as failed.
- A check counts as running for STALE at most: a process killed during one leaves its
  row behind, and that must not hold a key for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_parameters, get_client_username, get_failure_limit
from django.db import connection, models, transaction
from django.db.models import F, Func, IntegerField, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.utils import timezone

# Far longer than any password check (a third of a second), shorter than a person's patience.
STALE = dt.timedelta(seconds=60)
WAIT_SECONDS = 15.0  # then a check still not admitted is refused as locked out
POLL_SECONDS = 0.1
# PostgreSQL's advisory locks keyed by two numbers are a space apart from those keyed by
# one (accounts.locks): the first number says "a sign-in key".
LOCK_SPACE = 1_202_300

ADMITTED, LOCKED, BUSY = "admitted", "locked", "busy"


class PasswordCheck(models.Model):
    """A password (or API client secret) check running now, under one lockout key."""

    key = models.CharField(max_length=64, db_index=True)
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "password check in flight"
        verbose_name_plural = "password checks in flight"

    def __str__(self) -> str:
        return f"password check since {self.started_at:%H:%M:%S}"


def counted_by_key(request: HttpRequest, credentials: dict) -> list[tuple[str, models.QuerySet]]:
    """(key, its failures within the cool-off) for each way axes counts this sign-in:
    axes' own lockout parameters and filters, so that the two never disagree."""
    AxesProxyHandler.update_request(request)
    parameters = get_client_parameters(
        get_client_username(request, credentials),
        request.axes_ip_address,
        request.axes_user_agent,
        request,
        credentials,
    )
    attempts = AxesProxyHandler.get_implementation().get_user_attempts(request, credentials)
    keys = [
        hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()
        for filters in parameters
    ]
    return list(zip(keys, attempts, strict=True))


def running_checks(keys: list[str], now: dt.datetime) -> models.QuerySet:
    """The checks running now under these keys."""
    return PasswordCheck.objects.filter(key__in=keys, started_at__gt=now - STALE)


def load(counted, now: dt.datetime, but: list[int] = ()) -> dict:
    """Annotations for a query, read in one statement (so at one moment: a check that
    fails is counted as failed in the transaction that ends it, never in neither):

    - `sign_in_failures`: the most failures within the cool-off under one of the keys;
    - `sign_in_load`: the most failures plus checks running now (but `but`) under one.
    """
    total = Func(F("failures_since_start"), function="SUM", output_field=IntegerField())
    count = Func(F("pk"), function="COUNT", output_field=IntegerField())
    failures, loads = [], []
    for key, attempts in counted:
        failed = Coalesce(Subquery(attempts.order_by().values(total=total)), 0)
        running = running_checks([key], now).exclude(pk__in=but).order_by().values(count=count)
        failures.append(failed)
        loads.append(failed + Coalesce(Subquery(running), 0))
    return {"sign_in_failures": _most(failures), "sign_in_load": _most(loads)}


def _most(values: list):
    return values[0] if len(values) == 1 else Greatest(*values)


def verdict(failures: int, load: int, limit: int) -> str:
    """Locked: enough failures. Busy: locked if the checks running now fail, so a new
    one waits for them. Admitted: neither."""
    if failures >= limit:
        return LOCKED
    return BUSY if load >= limit else ADMITTED


def _take_turns(keys: list[str]) -> None:
    """Wait until no other admission for these keys runs; hold them to this transaction's
    end. In sorted order, so that two admissions never wait for each other."""
    if connection.vendor != "postgresql":
        return  # SQLite: the write that begins the transaction waits for its one lock
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, int(key[:7], 16)])


def _try_to_admit(request: HttpRequest, counted, limit: int) -> str:
    keys = [key for key, _ in counted]
    now = timezone.now()
    with transaction.atomic():
        _take_turns(keys)
        # The first statement, and a write (see the module's docstring).
        PasswordCheck.objects.filter(key__in=keys, started_at__lte=now - STALE).delete()
        mine = [
            check.pk
            for check in PasswordCheck.objects.bulk_create(
                [PasswordCheck(key=key, started_at=now) for key in keys]
            )
        ]
        read = PasswordCheck.objects.filter(pk=mine[0]).annotate(**load(counted, now, but=mine))
        found = verdict(*read.values_list("sign_in_failures", "sign_in_load").get(), limit)
        if found != ADMITTED:
            transaction.set_rollback(True)
            return found
    request.password_checks = [*held(request), *mine]
    return ADMITTED


def _still_busy(counted, limit: int) -> str:
    """The verdict now, read without taking turns (any row to read it with will do; with
    none, nothing runs, so it is not busy)."""
    now = timezone.now()
    read = PasswordCheck.objects.annotate(**load(counted, now))
    row = read.values_list("sign_in_failures", "sign_in_load").first()
    return verdict(*row, limit) if row is not None else ADMITTED


def admit(request: HttpRequest, credentials: dict) -> bool:
    """Whether the password of these credentials may be checked now: False when the
    username or the address is locked out. Admitted, the check runs until end(request),
    or until LockoutHandler counts its failure."""
    counted = counted_by_key(request, credentials)
    limit = get_failure_limit(request, credentials)
    deadline = time.monotonic() + WAIT_SECONDS
    while (found := _try_to_admit(request, counted, limit)) == BUSY:
        # Wait for the checks in flight, reading without taking turns until it looks decided.
        while found == BUSY and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            found = _still_busy(counted, limit)
        if found != ADMITTED:
            return False  # locked, or still undecided at the deadline
    return found == ADMITTED


def held(request: HttpRequest) -> list[int]:
    return getattr(request, "password_checks", [])


def end(request: HttpRequest) -> None:
    """The checks this request holds are over (a right password, or counted as failed)."""
    checks, request.password_checks = held(request), []
    if checks:
        PasswordCheck.objects.filter(pk__in=checks).delete()
