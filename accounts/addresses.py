"""The caller's address: one rule (PROXY_COUNT) for the lockout, which counts failures
by it (AXES_CLIENT_IP_CALLABLE), the audit log, which records it, and the kept callers,
keyed by it. A module of its own so that the lockout may record in the audit log
without the two importing each other."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind PROXY_COUNT reverse proxies the address the first of them
    saw (X-Forwarded-For's entries before it are the client's own word, which anyone
    can forge)."""
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [address.strip() for address in forwarded if address.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
