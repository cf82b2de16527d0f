"""What every API view is wrapped in: read-only methods, never cached, signed-in callers
only, and a bad parameter answered 400 naming it.

A module of its own, below the views and the vendor's resources that all use it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from reports.api import errors
from reports.api.authentication import api_login_required
from reports.query import InvalidParameters

ALLOWED_METHODS = ("GET", "HEAD")


def read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """405 with an Allow header for any method but GET and HEAD, before authentication.

    The views are csrf_exempt: no method that CSRF protects ever reaches them.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            return errors.method_not_allowed(ALLOWED_METHODS)
        return view(request, *args, **kwargs)

    return wrapper


def invalid_parameters(invalid: InvalidParameters) -> JsonResponse:
    """400, naming each bad parameter: what is wrong and what it accepts."""
    return errors.invalid_parameters(invalid.errors)


def resource(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only (405 before anything else), never cached, signed-in callers only;
    a bad parameter answers 400 naming it."""

    @read_only
    @never_cache
    @api_login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except InvalidParameters as invalid:
            return invalid_parameters(invalid)

    return wrapper
