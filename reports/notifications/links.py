"""Absolute links for messages (SITE_URL), and the signed one-click unsubscribe link.

The unsubscribe token is the user and the kind of message, signed with SECRET_KEY
(django.core.signing): it needs no sign-in and no stored secret, never expires (a link
in a year-old message still works), and cannot be forged for someone else.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "reports.notifications.unsubscribe"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_token(user_id: int, kind: str) -> str:
    return signing.dumps({"user": user_id, "kind": kind}, salt=SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(user id, kind); signing.BadSignature when the token was not made here."""
    value = signing.loads(token, salt=SALT)
    if not isinstance(value, dict) or not isinstance(value.get("user"), int):
        raise signing.BadSignature("not an unsubscribe token")
    return value["user"], str(value.get("kind", ""))


def unsubscribe_url(user_id: int, kind: str) -> str:
    return absolute(reverse("unsubscribe", args=[unsubscribe_token(user_id, kind)]))


def device_url(device_uid: str) -> str:
    return absolute(reverse("device", args=[device_uid]))
