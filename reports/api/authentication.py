"""Who is calling the API: accounts.callers decides (a bearer token, HTTP Basic with a
username and password or an API client's id and secret, or a browser session); this
module runs a view as that caller or answers 401.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from accounts.audit import reads
from accounts.callers import (  # noqa: F401  (RecentlyVerified & co.: where tests look)
    REALM,
    RecentlyVerified,
    api_caller,
    basic_credentials,
    recently_verified,
    unauthorized,
)
from reports.api import generations


def api_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run the view as the caller (request.user; request.api_client when an API client
    signed in), or answer 401. `request.generations` holds the access and report
    generations as the request found them (reports.api.generations): read first, in one
    round trip, for the kept caller and the kept page. The read is counted for the audit
    log (accounts.audit.reads)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.generations = generations.read()
        caller = api_caller(request, access_number=request.generations.access)
        if caller is None:
            return unauthorized(request=request)
        request.user, request.api_client = caller
        # Counted in memory and summarised per caller and hour: not an event a page.
        reads.count(request, request.resolver_match.route if request.resolver_match else "")
        return view(request, *args, **kwargs)

    return wrapper
