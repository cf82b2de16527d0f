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
"""

from __future__ import annotations

import datetime as dt
import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials, get_failure_limit
from django.conf import settings  # axes.helpers has set the AXES_ defaults on it
from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

LOCKED_TEMPLATE = "registration/locked_out.html"


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check before the password is: a locked username or address is refused.

    Without a request there is no caller to count against, so nothing is checked: that
    is the shell, and the test client's login(). Every view that signs people in passes
    its request (the login views' form, accounts.callers).
    """

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or behind PROXY_COUNT reverse proxies the
    address the first of them saw (X-Forwarded-For's entries before it are the client's
    own word, which anyone can forge)."""
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [address.strip() for address in forwarded if address.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def with_lock(queryset: QuerySet, request: HttpRequest, username: str) -> QuerySet:
    """The queryset with `sign_in_failures`: the most failures within the cool-off
    counted against the username or the caller's address (axes' own filters, summed in
    SQL). Read with the row it belongs to, in one query, so that a recently verified
    caller pays nothing more for the check."""
    if not settings.AXES_ENABLED:
        return queryset
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    attempts_list = handler.get_user_attempts(request, get_credentials(username))
    total = Func(F("failures_since_start"), function="SUM", output_field=IntegerField())
    sums = [
        Coalesce(Subquery(attempts.order_by().values(total=total)), 0) for attempts in attempts_list
    ]
    return queryset.annotate(sign_in_failures=sums[0] if len(sums) == 1 else Greatest(*sums))


def is_locked_row(row, request: HttpRequest, username: str) -> bool:
    """Whether a row read through with_lock() says the caller is locked out."""
    failures = getattr(row, "sign_in_failures", 0)
    return failures >= get_failure_limit(request, get_credentials(username))


def is_locked(request: HttpRequest, username: str) -> bool:
    """Axes' own check, for a caller no row was read for (an unknown client id)."""
    if not settings.AXES_ENABLED:
        return False
    return not AxesProxyHandler.is_allowed(request, get_credentials(username))


def refuse(request: HttpRequest, username: str) -> None:
    """Mark the request as refused by the lock: AxesMiddleware then answers it with
    lockout_response()."""
    AxesProxyHandler.update_request(request)
    request.axes_locked_out = True
    request.axes_credentials = get_credentials(username)


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
