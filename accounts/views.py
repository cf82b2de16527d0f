"""Signing in to the API the way the vendor's SDK (pycpg) and CLI do (spec section 7).

- `POST /api/v3/oauth/token?grant_type=client_credentials` with Basic `id:secret`:
  `{"access_token", "token_type": "bearer", "expires_in"}` (pycpg's from_api_client).
- `GET /api/v3/auth/jwt?useBody=true` with Basic `username:password` (or an API
  client's id and secret): `{"data": {"v3_user_token"}}` (pycpg's from_local_account).
  The token is always in the body; `useBody` is accepted and needs no other value.
- `GET /api/v3/LoginConfiguration?username=...`: what pycpg asks after a failed
  sign-in, to tell a wrong password from a missing second factor or SSO. The answer
  is the same for every name and says nothing about which names exist: `LOCAL`, or
  `CLOUD_SSO` while local sign-in is off (accounts.local_signin), which pycpg reports
  as "SSO users are not supported" rather than "double-check username/password".
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts import tokens
from accounts.callers import REALM, basic_caller, basic_credentials, unauthorized
from accounts.client_ids import looks_like_client_id

CLIENT_CREDENTIALS = "client_credentials"


def method_not_allowed(*allowed: str) -> HttpResponse:
    response = JsonResponse({"error": "method not allowed", "allowed": list(allowed)}, status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def oauth_error(error: str, description: str, status: int) -> HttpResponse:
    """An error in the shape of RFC 6749 section 5.2, which OAuth clients read."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


@csrf_exempt  # no cookie is read: the caller is only who the Basic credentials name
@never_cache
def oauth_token(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return method_not_allowed("POST")
    grant_type = request.GET.get("grant_type") or request.POST.get("grant_type")
    if not grant_type:
        return oauth_error(
            "invalid_request", "grant_type is missing: send grant_type=client_credentials.", 400
        )
    if grant_type != CLIENT_CREDENTIALS:
        return oauth_error(
            "unsupported_grant_type",
            f"grant_type {grant_type!r} is not supported: send grant_type=client_credentials.",
            400,
        )
    credentials = basic_credentials(request)
    if credentials is None or not looks_like_client_id(credentials[0]):
        return oauth_error(
            "invalid_client",
            "Send an API client's id and secret with HTTP Basic. With a username and "
            "password, ask GET /api/v3/auth/jwt?useBody=true for a token.",
            401,
        )
    caller = basic_caller(request)
    if caller is None:
        return oauth_error(
            "invalid_client",
            "Unknown client id or wrong secret, or the client is revoked or expired.",
            401,
        )
    user, client = caller
    now = timezone.now()
    return JsonResponse(
        {
            "access_token": tokens.issue(user, client, now),
            "token_type": "bearer",
            "expires_in": max(0, int((tokens.expires(client, now) - now).total_seconds())),
        }
    )


@csrf_exempt
@never_cache
def user_token(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return method_not_allowed("GET")
    if basic_credentials(request) is None:
        return unauthorized("Send your username and password with HTTP Basic.")
    caller = basic_caller(request)
    if caller is None:
        refused = getattr(request, "basic_refusal", None)
        return unauthorized(refused or "Wrong username or password, or the account is deactivated.")
    user, client = caller
    return JsonResponse({"data": {"v3_user_token": tokens.issue(user, client)}})


@csrf_exempt
def login_configuration(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed("GET", "HEAD")
    # Per deployment, never per name: the break-glass superusers' passwords still work
    # with local sign-in off, but which names are theirs is not said. An API client's id
    # (its shape is public: accounts.client_ids) signs in with its secret whatever the
    # setting: CLOUD_SSO made pycpg say of a wrong or revoked secret that SSO users are
    # not supported (found by a review).
    username = request.GET.get("username", "")
    local = settings.LOCAL_SIGNIN or looks_like_client_id(username)
    login_type = "LOCAL" if local else "CLOUD_SSO"
    return JsonResponse({"data": {"loginType": login_type}})
