"""Fixtures for the single sign-on tests: the real OpenID provider (tests/idp/
oidc_support.py) and the real SAML identity provider (tests/idp/saml_support.py), each
started once a session, and the settings that point the product at them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS

# The identity provider's group names, as an Entra ID or Okta administrator would name them.
MANAGERS_GROUP, ADMINS_GROUP, STAFF_GROUP = "BR-Org-Managers", "BR-Admins", "staff"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory, live_server):
    from tests.idp.oidc_support import OidcProvider, need_node

    need_node()
    provider = OidcProvider(tmp_path_factory.mktemp("oidc"), ["http://testserver", live_server.url])
    provider.start()
    yield provider
    provider.stop()


def role_mapping(settings) -> None:
    settings.SSO_ROLE_GROUPS = {
        SYSTEM_ADMINISTRATORS: [ADMINS_GROUP],
        ORG_MANAGERS: [MANAGERS_GROUP],
        "Desktop users": [],
    }


@pytest.fixture
def oidc(settings, oidc_provider):
    """The product signing in through the OpenID provider, groups mapped to roles."""
    from tests.idp.oidc_support import CLIENT_ID, CLIENT_SECRET

    settings.OIDC_PROVIDER_NAME = "Acme OpenID"
    settings.OIDC_DISCOVERY_URL = oidc_provider.discovery_url
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_SCOPES = "openid email profile groups"
    role_mapping(settings)
    oidc_provider.people.clear()
    oidc_provider.save_people()
    return oidc_provider


def oidc_sign_in(client, provider, login: str, next_page: str = "") -> object:
    """Sign in through the provider with the test client: the product's redirect, the
    provider's login form, the callback. The callback's response."""
    start = client.get("/sso/oidc/login/", {"next": next_page} if next_page else {})
    assert start.status_code == 302, start.content
    back = provider.log_in(start["Location"], login)
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}")
