"""What the environment configured for single sign-on (backupreport.settings, SSO_*)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Provider:
    """A sign-in button on the login page."""

    protocol: str
    name: str
    url_name: str


def oidc_enabled() -> bool:
    return bool(settings.OIDC_DISCOVERY_URL and settings.OIDC_CLIENT_ID)


def saml_enabled() -> bool:
    return bool(settings.SAML_IDP_METADATA_URL or settings.SAML_IDP_METADATA_FILE)


def providers() -> list[Provider]:
    """The identity providers configured, in the order the login page offers them."""
    found = []
    if oidc_enabled():
        found.append(Provider("oidc", settings.OIDC_PROVIDER_NAME, "sso-oidc-login"))
    if saml_enabled():
        found.append(Provider("saml", settings.SAML_PROVIDER_NAME, "sso-saml-login"))
    return found


def match_field() -> str:
    """The user field a signed-in person is matched on: SSO_MATCH, email or username,
    one of the two as the settings read it (backupreport.settings refuses another)."""
    return settings.SSO_MATCH


def role_groups() -> dict[str, frozenset[str]]:
    """Role (a group of spec section 4) -> the identity-provider groups that give it,
    compared case-insensitively; only the roles with at least one group."""
    return {
        role: frozenset(name.casefold() for name in names)
        for role, names in settings.SSO_ROLE_GROUPS.items()
        if names
    }


def allowed_groups() -> frozenset[str]:
    return frozenset(name.casefold() for name in settings.SSO_ALLOWED_GROUPS)
