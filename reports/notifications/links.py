"""Absolute links for messages (SITE_URL), the signed one-click unsubscribe link, and a
subscription's signed download link.

The unsubscribe token is the user and the kind of message, signed with SECRET_KEY
(django.core.signing): it needs no sign-in and no stored secret, never expires (a link
in a year-old message still works), and cannot be forged for someone else.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "reports.notifications.unsubscribe"
DOWNLOAD_SALT = "reports.notifications.download"


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


# A subscription's list too large to attach: a link that names the subscription and the
# recipient, signed and dated. It expires (SUBSCRIPTION_LINK_DAYS) and opens only for
# that recipient, signed in, whose reach it is computed with when opened.


def download_token(subscription_id: int, user_id: int) -> str:
    return signing.dumps({"subscription": subscription_id, "user": user_id}, salt=DOWNLOAD_SALT)


def read_download_token(token: str) -> tuple[int, int]:
    """(subscription id, user id); signing.SignatureExpired or BadSignature otherwise."""
    max_age = settings.SUBSCRIPTION_LINK_DAYS * 86400
    value = signing.loads(token, salt=DOWNLOAD_SALT, max_age=max_age)
    if not isinstance(value, dict) or not all(
        isinstance(value.get(k), int) for k in ("subscription", "user")
    ):
        raise signing.BadSignature("not a download token")
    return value["subscription"], value["user"]


def download_url(subscription_id: int, user_id: int) -> str:
    return absolute(
        reverse("subscription-download", args=[download_token(subscription_id, user_id)])
    )
