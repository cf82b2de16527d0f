"""Who is calling the API: a browser session, or HTTP Basic as vendor scripts send it.

Basic credentials are checked on every request (there is no token to keep); only
active users pass, as Django's ModelBackend decides. No or wrong credentials answer
401 with a Basic challenge, since some clients send credentials only after one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse

REALM = "Backup Report"


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic ...` header, if it holds one."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return ("", "")
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")  # what older clients send
    username, _, password = text.partition(":")
    return username, password


def api_user(request: HttpRequest):
    """The caller, or None. Basic credentials, when sent, win over a session."""
    credentials = basic_credentials(request)
    if credentials is None:
        return request.user if request.user.is_authenticated else None
    username, password = credentials
    if not username or "\x00" in username + password:
        return None
    return authenticate(request, username=username, password=password)


def unauthorized() -> HttpResponse:
    response = JsonResponse(
        {
            "error": "authentication required",
            "detail": "Log in, or send your username and password with HTTP Basic.",
        },
        status=401,
    )
    response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


def api_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run the view as the caller (request.user), or answer 401."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = api_user(request)
        if user is None:
            return unauthorized()
        request.user = user
        return view(request, *args, **kwargs)

    return wrapper
