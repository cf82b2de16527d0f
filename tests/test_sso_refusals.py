"""What a refused single sign-on tells the person and the audit log (spec section 13:
sign-ins and their failures are recorded): the reason, and whom the provider named.
Against the real OpenID provider and SAML IdP of tests.sso_support (found by an audit
of section 12)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.audit.models import Event
from tests.sso_support import oidc_sign_in

pytestmark = pytest.mark.django_db


def failed_sign_in() -> Event:
    return Event.objects.get(kind="signin.failed")


def test_an_unverified_address_refused_names_the_address_tried(oidc, people):
    """Refused before the account was looked for, the event named no one."""
    oidc.person("mallory", email="dave@example.com", email_verified=False)
    assert oidc_sign_in(Client(), oidc, "mallory").status_code == 403
    failed = failed_sign_in()
    assert failed.details["reason"] == "The identity provider has not verified your email address."
    assert failed.target == "dave@example.com"
