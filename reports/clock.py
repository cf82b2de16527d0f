"""What time it is, read once per request.

Health, ages, the API's timestamp and the export's file name all depend on "now". Read
separately, a page that counts devices in warning and then lists them could straddle a
threshold between the two readings. `ClockMiddleware` reads the clock once when a
request arrives; `now()` answers that moment for the rest of the request, and the real
time outside one (management commands, the shell).

Nothing in the product calls `timezone.now()` for a "now" that a user sees: it calls
`clock.now()`. Durations are measured with `time.monotonic()`, which is not a "now".
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar

from django.utils import timezone

_request_moment: ContextVar[dt.datetime | None] = ContextVar("request_moment", default=None)


def now() -> dt.datetime:
    """The current request's moment, or the real time outside a request."""
    moment = _request_moment.get()
    return moment if moment is not None else timezone.now()


class ClockMiddleware:
    """Fixes "now" for the duration of each request (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_moment.set(timezone.now())
        try:
            return self.get_response(request)
        finally:
            _request_moment.reset(token)
