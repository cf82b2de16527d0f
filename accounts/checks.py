"""System checks of the configuration that a start cannot refuse outright.

SITE_URL's default, http://127.0.0.1:8000, is right for development and for the
servers the tests and the benchmark start on this machine with DJANGO_DEBUG=0, and
installations deployed by the README's recipe before it set SITE_URL have none: a
refusal to start would stop them all. So `manage.py check --deploy`, which the recipe
runs, warns instead.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from django.conf import settings
from django.core.checks import Warning, register


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name
        return False


@register(deploy=True)
def site_url_reaches_people(app_configs, **kwargs) -> list[Warning]:
    """The links of digests, owner alerts, invitations, password resets, webhooks and
    List-Unsubscribe are SITE_URL plus a path: on a loopback address they lead every
    reader back to their own machine."""
    host = urlparse(settings.SITE_URL).hostname or ""
    if not _is_loopback(host):
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL}, an address only this machine reaches: "
            "the links in messages, invitations and webhooks lead nowhere.",
            hint="Set SITE_URL to the product's address as people reach it "
            "(https://backups.example.com).",
            id="accounts.W001",
        )
    ]
