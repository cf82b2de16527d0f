"""A second factor for local sign-in (spec section 12): TOTP codes by django-otp.

With TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS on, a system administrator (or superuser)
who signs in with a password has a session that waits: every page sends them to the
verification step (or, without an authenticator app yet, to the enrolment page) until
a code passes. A session from single sign-on is not asked: the identity provider
decides how its people sign in. HTTP Basic cannot carry a code, so it refuses these
users' passwords (accounts.callers); API clients' secrets still work.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django_otp import user_has_device

from accounts.local_signin import signed_in_with_password
from accounts.roles import is_system_administrator, reach_of_request

# Why HTTP Basic refuses the right password of a user who must pass a second factor.
BASIC_REFUSED = (
    "This account must pass a second factor (TOTP), which HTTP Basic cannot carry: "
    "use an API client's id and secret (a system administrator makes one in the admin), "
    "as Basic credentials or for a token from POST /api/v3/oauth/token."
)


def required_of(user) -> bool:
    """Whether this user must pass a TOTP code after their password."""
    return settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS and is_system_administrator(user)


def waiting(request: HttpRequest) -> bool:
    """Whether this request's session signed in with a password that is not enough
    alone, and has not passed its code yet. (OTPMiddleware has set is_verified.) Never
    while the requirement is off: the verification step sent such a session to the
    enrolment page, which sent it back, "too many redirects" (found by an audit)."""
    user = request.user
    return (
        settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS
        and user.is_authenticated
        and signed_in_with_password(request)
        and reach_of_request(request).everything  # read once a request, the page reuses it
        and not user.is_verified()
    )


def _passes_while_waiting(path: str) -> bool:
    """The pages a waiting session may open: signing in, out and the second factor,
    the static files, and single sign-on (not a local sign-in)."""
    open_paths = [
        reverse("login"),
        reverse("logout"),
        reverse("second_factor_verify"),
        reverse("second_factor_enrol"),
        "/sso/",
        "/" + settings.STATIC_URL.lstrip("/"),
    ]
    return any(path.startswith(prefix) for prefix in open_paths)


class SecondFactorMiddleware:
    """Holds a waiting session (see `waiting`) at the second factor. Costs nothing
    while the requirement is off; with it on, the reach a page reads anyway."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS
            and not _passes_while_waiting(request.path_info)
            and waiting(request)
        ):
            return hold(request)
        return self.get_response(request)


def hold(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {
                "error": "second factor required",
                "detail": "This session has not passed its TOTP code: finish signing in "
                "on the sign-in page, or call the API with an API client.",
            },
            status=401,
        )
    step = "second_factor_verify" if user_has_device(request.user) else "second_factor_enrol"
    return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
