"""The Authorization header as sent: its scheme, and HTTP Basic's username and password.
Read by the callers (accounts.callers) and by the audit log's sign-in method
(accounts.audit.receivers), which the callers import."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest


def authorization(request: HttpRequest) -> tuple[str, str] | None:
    """(scheme in lower case, the rest) of the Authorization header, if one was sent."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    return scheme.lower(), rest.strip()


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic ...` header, if it holds one."""
    sent = authorization(request)
    if sent is None or sent[0] != "basic":
        return None
    try:
        decoded = base64.b64decode(sent[1], validate=True)
    except (binascii.Error, ValueError):
        return ("", "")
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")  # what older clients send
    username, _, password = text.partition(":")
    return username, password
