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


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory, live_server):
    """pysaml2's IdP in a process of its own, trusting this product's metadata as served
    for the live server's address."""
    from saml2.config import SPConfig
    from saml2.metadata import entity_descriptor

    from accounts.sso.saml import config_dict
    from tests.idp.saml_support import SamlIdentityProvider

    sp = SPConfig()
    sp.load(config_dict(live_server.url, with_idp=False))
    idp = SamlIdentityProvider(tmp_path_factory.mktemp("saml"), str(entity_descriptor(sp)).encode())
    idp.start()
    yield idp
    idp.stop()


@pytest.fixture
def saml(settings, saml_idp, live_server):
    """The product signing in through the SAML IdP, groups mapped to roles."""
    settings.SAML_PROVIDER_NAME = "Acme SAML"
    settings.SAML_IDP_METADATA_URL = saml_idp.metadata_url
    settings.SAML_SP_BASE_URL = live_server.url
    role_mapping(settings)
    saml_idp.people.clear()
    saml_idp.save_people()
    return saml_idp


def saml_sign_in(client, idp, login: str, next_page: str = "", **extra: str) -> object:
    """Sign in through the SAML IdP with the test client; the assertion consumer
    service's response."""
    start = client.get("/sso/saml/login/", {"next": next_page} if next_page else {})
    assert start.status_code == 302, start.content
    _, fields = idp.log_in(start["Location"], login, **extra)
    return client.post("/sso/saml/acs/", fields)
