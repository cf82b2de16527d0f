"""Brute-force protection (spec section 7), by django-axes.

Failed sign-ins are counted per username and per address, wherever they happen: the
login page and the admin's (Django's authenticate()), HTTP Basic on the API, and the
token endpoints (accounts.callers, which also reports API clients' failures). After
AXES_FAILURE_LIMIT failures for one username or one address, sign-ins for it are
refused until AXES_COOLOFF_TIME has passed since the last failure; refused attempts
do not extend the lock. Right credentials are refused too while the lock holds, even
when recently verified. A system administrator sees the attempts in the admin (Axes,
Access attempts) and lifts a lock by deleting them.

Successful sign-ins are never counted, so a steady script with the right credentials
is never slowed or locked; a bearer token is not a sign-in and is not checked.

Each password check is admitted first (accounts.password_checks), so that the limit
holds when many guesses arrive at once: at most LIMIT checks for one username or address
run or have failed within the cool-off.
"""

from __future__ import annotations

import datetime as dt
import math

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials, get_failure_limit
from django.conf import settings  # axes.helpers has set the AXES_ defaults on it
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import audit, password_checks
from accounts.audit.signin_methods import failure_details, mark_refused_by_lock

LOCKED_TEMPLATE = "registration/locked_out.html"


class LockoutBackend(AxesStandaloneBackend):
    """In place of axes' backend: admits the password check that the next backend makes
    (Django's ModelBackend), or refuses it when the username or the address is locked
    out (accounts.password_checks). Axes' own backend looked at the count before the
    check and apart from it, so checks sent at once all passed the look.

    The check, once admitted, ends when its failure is counted (LockoutHandler), or when
    it succeeded, once the request is answered (PasswordCheckMiddleware; accounts.callers
    ends it as soon as authenticate() returns).

    Without a request there is no caller to count against, so nothing is checked: that
    is the shell, and the test client's login(). Every view that signs people in passes
    its request (the login views' form, accounts.callers).
    """

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None or username is None or password is None:
            return None  # no caller, or not a password sign-in
        if not admit(request, username):
            request.axes_locked_out = True  # AxesMiddleware answers lockout_response()
            mark_refused_by_lock(request)  # the failure Django signals says why
            raise AxesBackendPermissionDenied("Locked out: too many failed sign-ins.")
        return None


class LockoutHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' own, but a failed check's failure is counted and the check
    ended in one transaction (accounts.password_checks says why)."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None or not password_checks.held(request):
            return super().user_login_failed(sender, credentials, request, **kwargs)
        with transaction.atomic():
            password_checks.end(request)  # first, and a write: SQLite's lock is taken here
            return super().user_login_failed(sender, credentials, request, **kwargs)


class PasswordCheckMiddleware:
    """Ends the password checks that succeeded once the request is answered: whatever
    signed in (the login page, the admin's, a form of another app), a check counts as
    running no longer than its request. (One that failed ended as it was counted.)"""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            password_checks.end(request)


def admit(request: HttpRequest, username: str) -> bool:
    """Whether a password or secret sent for `username` may be checked now
    (accounts.password_checks.admit); always, where axes is switched off."""
    if not settings.AXES_ENABLED:
        return True
    return password_checks.admit(request, get_credentials(username))


# What axes' tables hold of a username; it cuts the user agent and the path it records
# to their columns, but not the name.
RECORDED_USERNAME_LENGTH = 255


def recorded_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username as axes reads it (from the credentials, else
    the posted form), cut to what its tables hold. A longer one, sent with HTTP Basic,
    failed the sign-in with a 500 on PostgreSQL; no account has such a name."""
    field = settings.AXES_USERNAME_FORM_FIELD
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(field)
    return username[:RECORDED_USERNAME_LENGTH] if isinstance(username, str) else username


def with_lock(queryset: QuerySet, request: HttpRequest, username: str) -> QuerySet:
    """The queryset with, for the username and the caller's address (axes' own filters),
    `sign_in_failures` and `sign_in_load` (accounts.password_checks.load): read with the
    row they belong to, in one query, so that a caller whose credentials need no slow
    check (recently verified, an API client's secret) pays nothing more."""
    if not settings.AXES_ENABLED:
        return queryset
    counted = password_checks.counted_by_key(request, get_credentials(username))
    return queryset.annotate(**password_checks.load(counted, timezone.now()))


def is_locked_row(row, request: HttpRequest, username: str) -> bool:
    """Whether a row read through with_lock() says the caller is locked out."""
    failures = getattr(row, "sign_in_failures", 0)
    return failures >= get_failure_limit(request, get_credentials(username))


def is_open_row(row, request: HttpRequest, username: str) -> bool:
    """Whether a row read through with_lock() lets right credentials in without an
    admitted check: under the limit even if every check running now fails. Else they
    wait their turn as a password check does, so that a right guess among many sent at
    once is told apart from a refusal only if it came within the limit."""
    load = getattr(row, "sign_in_load", 0)
    return load < get_failure_limit(request, get_credentials(username))


def refuse(request: HttpRequest, username: str) -> None:
    """Mark the request as refused by the lock: AxesMiddleware then answers it with
    lockout_response(). For the attempts no password check saw (an API client's id not
    admitted, or locked on its row; a recently verified password): a failed sign-in in
    the audit log, as the login page's refused attempts are, by the signal that
    authenticate() sends. Recorded here, not signalled: axes would count it, and a
    refused attempt does not extend the lock."""
    AxesProxyHandler.update_request(request)
    request.axes_locked_out = True
    request.axes_credentials = get_credentials(username)
    mark_refused_by_lock(request)
    audit.record(
        "signin.failed",
        actor=username,
        target=username,
        request=request,
        **failure_details(request),
    )


def lock_lifts_in(request: HttpRequest, credentials: dict | None) -> dt.timedelta:
    """How long until the lock lifts: the cool-off from the latest failure counted."""
    cool_off = get_cool_off(request) or dt.timedelta(0)
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    latest = None
    for attempts in handler.get_user_attempts(request, credentials):
        last = attempts.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
        if last is not None and (latest is None or last > latest):
            latest = last
    if latest is None:
        return cool_off
    return max(dt.timedelta(0), latest + cool_off - timezone.now())


def _minutes(delta: dt.timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: JSON 429 with Retry-After for the API, a page for people."""
    wait = lock_lifts_in(request, credentials)
    retry_after = str(max(1, math.ceil(wait.total_seconds())))
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "error": "locked out",
                "detail": (
                    "Too many failed sign-ins for this username or from this address. "
                    f"Sign-in is refused for {_minutes(wait)}, even with the right "
                    "credentials, unless a system administrator lifts the lock."
                ),
                "retryAfterSeconds": int(retry_after),
            },
            status=429,
        )
    else:
        response = render(
            request,
            LOCKED_TEMPLATE,
            {"wait": _minutes(wait)},
            status=429,
        )
    response["Retry-After"] = retry_after
    return response
