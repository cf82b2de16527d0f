"""What a refused single sign-on tells the person and the audit log (spec section 13:
sign-ins and their failures are recorded): the reason, and whom the provider named.
Against the real OpenID provider and SAML IdP of tests.sso_support (found by an audit
of section 12)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

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


def callback_state(browser: Client) -> str:
    """The state of a sign-in this browser started at the product."""
    start = browser.get("/sso/oidc/login/")
    return parse_qs(urlsplit(start["Location"]).query)["state"][0]


def test_the_providers_own_refusal_is_named_with_its_words(oidc, people):
    """error=access_denied at the callback was told, on the page and the log, as a
    broken round trip: "could not be completed; start again"."""
    browser = Client()
    answer = browser.get(
        "/sso/oidc/callback/",
        {
            "error": "access_denied",
            "error_description": "User is not assigned\nto the application\x07" + "!" * 300,
            "state": callback_state(browser),
        },
    )
    assert answer.status_code == 403
    reason = failed_sign_in().details["reason"]
    assert reason.startswith(
        "The identity provider refused the sign-in "
        "(access_denied: User is not assigned to the application !!!"
    )
    assert len(reason) < 300 and reason.isprintable()
    assert "refused the sign-in (access_denied: User is not assigned" in answer.content.decode()


def test_a_providers_refusal_this_browser_never_asked_for_is_a_broken_round_trip(oidc, people):
    """Words anyone may put in a link are not shown as the provider's."""
    answer = Client().get(
        "/sso/oidc/callback/",
        {"error": "access_denied", "error_description": "Call 555-0100", "state": "made-up"},
    )
    assert answer.status_code == 403
    assert b"Call 555-0100" not in answer.content
    assert "start again" in failed_sign_in().details["reason"]
