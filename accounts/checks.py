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
def someone_may_sign_in(app_configs, **kwargs) -> list[Warning]:
    """LOCAL_SIGNIN off with no identity provider lets superusers alone sign in, and API
    clients read (found by an audit, unsaid). A warning, not a refusal: a deployment
    read by scripts alone may mean it (found by a review)."""
    providers = (
        settings.OIDC_DISCOVERY_URL,
        settings.SAML_IDP_METADATA_URL,
        settings.SAML_IDP_METADATA_FILE,
    )
    if settings.LOCAL_SIGNIN or any(providers):
        return []
    return [
        Warning(
            "LOCAL_SIGNIN is off, and no identity provider is configured: only superusers "
            "can sign in (and API clients read).",
            hint="Set OIDC_DISCOVERY_URL, SAML_IDP_METADATA_URL or SAML_IDP_METADATA_FILE, "
            "or leave LOCAL_SIGNIN on.",
            id="accounts.W002",
        )
    ]


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
