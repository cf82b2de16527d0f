"""The page a person asked for before signing in (a digest's or an alert's link), kept
through the round trip to the identity provider; only a page of this site."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "sso_next"


def safe(request, value: str | None) -> str:
    """`value` if it leads to this site, else the page after sign-in."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def keep(request, value: str | None) -> None:
    request.session[SESSION_KEY] = safe(request, value)


def take(request) -> str:
    return safe(request, request.session.pop(SESSION_KEY, None))
