"""What a failed request is answered: JSON under /api/, a page everywhere else.

Django answers what a view or middleware raises (Http404, PermissionDenied, a
SuspiciousOperation, any other exception) with the handlers named in backupreport.urls;
these pick the API's JSON (reports.api.errors) for an /api/ path and Django's own pages
otherwise. A database that cannot be reached is a 503 with Retry-After, not a 500: the
request was fine and will work once the database is back.

With DEBUG on, Django shows its own debugging pages instead of a 404 or a 500, but for a
database out of reach: still the 503 (DatabaseUnavailableMiddleware).
"""

from __future__ import annotations

import sys

from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

from backupreport.unreachable import database_unreachable
from reports.api import errors as api_errors

API_PREFIX = "/api/"  # where backupreport.urls puts the API
RETRY_AFTER_SECONDS = 30


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


_BAD_REQUESTS = {
    "TooManyFieldsSent": "The request has too many parameters or form fields.",
    "TooManyFilesSent": "The request has too many files.",
    "RequestDataTooBig": "The request's body is too large.",
    "DisallowedHost": "The Host header names a host this server does not serve.",
}


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        detail = _BAD_REQUESTS.get(type(exception).__name__, "The request is malformed.")
        return api_errors.bad_request(detail)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_errors.forbidden("Your role does not allow this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_errors.not_found(
            "No such resource. The API's resources are described at /api/schema.json."
        )
    return defaults.page_not_found(request, exception)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 of a database out of reach. Nothing here touches the database, which is
    the very thing that failed."""
    if is_api(request):
        return api_errors.database_unavailable(RETRY_AFTER_SECONDS)
    # No request: the context processors would read the session, from the database.
    page = loader.render_to_string("503.html", {"retry_after_seconds": RETRY_AFTER_SECONDS})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """Called while the exception is handled: sys.exc_info() holds it."""
    if database_unreachable(sys.exc_info()[1]):
        return database_unavailable(request)
    if is_api(request):
        return api_errors.server_error()
    return defaults.server_error(request)


def _note_database_unreachable(sender, request=None, **kwargs) -> None:
    """Sent by Django as it answers an exception, DEBUG or not (sys.exc_info() holds it)."""
    if request is not None and database_unreachable(sys.exc_info()[1]):
        request.database_unreachable = True


got_request_exception.connect(_note_database_unreachable, dispatch_uid="database-unreachable")


class DatabaseUnavailableMiddleware:
    """A database out of reach is the 503 with DJANGO_DEBUG=1 too, where Django answers
    an exception with its debugging page and not server_error: `make run` on SQLite, a
    page clicked during a long import, showed a traceback of "database is locked" (the
    session's save, after the view). Early in MIDDLEWARE: the session's save fails
    outside any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "database_unreachable", False):
            unavailable = database_unavailable(request)
            # Logged already, as the 500 it replaces was (backupreport.unreachable):
            # Django's handler logged the new response a second time.
            unavailable._has_been_logged = True
            return unavailable
        return response
