"""How a caller signed in, as the audit log says it: of a sign-in, its failure, and an
export or a listing in bulk (recording.record_export). A module of its own, below the
recording, which the receivers of Django's signals import."""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY
from django.urls import reverse

from accounts.authorization_header import authorization, basic_credentials
from accounts.client_ids import looks_like_client_id


def signin_method(request, user=None) -> str:
    """How the caller signed in: sso, api client, basic, token or password."""
    from accounts import backends

    # Credentials sent with the request win over a session, as they do for the API
    # (accounts.callers.api_caller).
    sent = authorization(request) if request is not None else None
    if sent is not None and sent[0] == "bearer":
        return "token"  # its API client, if any, is the export's api_client
    if sent is not None and sent[0] == "basic":
        name = (basic_credentials(request) or ("", ""))[0]
        if looks_like_client_id(name):
            return "api client"
        # A password sent for a token (/api/v3/auth/jwt), not any resource under
        # /api/v3/ read with Basic; its success says the same (accounts.callers).
        return "token" if request.path == reverse("user-token") else "basic"
    session = getattr(request, "session", None)
    if (
        user is not None
        and session is not None
        and session.get(BACKEND_SESSION_KEY) == backends.PATH
    ):
        return "sso"  # the backend login() was given, which checks no password
    return "password"


# The reason a failed sign-in gives when the lock refused it before any check
# (accounts.lockout marks the request): told apart from a wrong password, the failure
# that reaches the limit included (axes' own `axes_locked_out` is set on that one too).
LOCKED_OUT = "locked out"


def mark_refused_by_lock(request) -> None:
    request.refused_by_lock = True


# The reason a right password is refused because local sign-in is off (LOCAL_SIGNIN=0,
# accounts.local_signin): the audit log does not call it a wrong password. (The lockout
# counts it all the same, so that the lock tells no guesser which password was right.)
LOCAL_SIGNIN_OFF = "local sign-in off"
# Likewise of a stranger's account single sign-on no longer lets in (SSO_ADMIT_UNKNOWN off;
# accounts.sso.admission): a password keeps nothing.
NO_LONGER_ADMITTED = "stranger no longer admitted"


def mark_right_password_refused(request, reason: str) -> None:
    """Say why a right password was refused (LOCAL_SIGNIN_OFF, NO_LONGER_ADMITTED)."""
    if request is not None:
        request.right_password_refused = reason


def failure_details(request) -> dict:
    """A failed sign-in's details on the audit log: its method, and its reason if the
    lock refused it or the password was right but refused all the same."""
    details = {"method": signin_method(request)}
    if getattr(request, "refused_by_lock", False):
        details["reason"] = LOCKED_OUT
    elif reason := getattr(request, "right_password_refused", None):
        details["reason"] = reason
    return details
