"""Single sign-on in headless Chromium, end to end through real identity providers on
loopback: the login page offers the provider first; an org manager whose role comes
from the provider's group lands back on the page a digest linked to, and sees their
org's subtree only. Screenshots in artifacts/screenshots/sso-*.png."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from selenium.webdriver.support.wait import WebDriverWait

from accounts.roles import ORG_MANAGERS
from accounts.sso.models import IdpRole
from reports.models import Device
from tests.sso_support import MANAGERS_GROUP, STAFF_GROUP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BACKUP_STATUS = "/reports/backup-status/?pgSize=100"


def without_manual_role(user) -> None:
    """The fleet made them an org manager by hand; here the provider must."""
    user.groups.remove(Group.objects.get(name=ORG_MANAGERS))


def assert_reach_is_their_subtree(browser, manager) -> None:
    """Every device listed is owned in the manager's org or below, and some are."""
    inside = set(
        Device.objects.filter(user__org__path__startswith=manager.org.path).values_list(
            "name", flat=True
        )
    )
    outside = set(Device.objects.values_list("name", flat=True)) - inside
    listed = set(browser.device_names())
    assert listed and listed <= inside and not listed & outside, listed


def test_an_org_manager_signs_in_through_openid_connect(browser, showcase, oidc):
    alice = showcase["users"]["alice"]
    without_manual_role(alice)
    oidc.person("alice.akesson", email="alice@example.com", groups=[MANAGERS_GROUP, STAFF_GROUP])

    browser.open(BACKUP_STATUS)  # a digest's link, signed out
    assert browser.path.startswith("/accounts/login/?next=")
    assert browser.find(".sso-button").text == "Sign in with Acme OpenID"
    browser.screenshot("sso-login")
    browser.click("#sso-oidc")
    assert browser.driver.current_url.startswith(oidc.issuer)
    browser.find("#login").send_keys("alice.akesson")
    browser.screenshot("sso-oidc-identity-provider")
    browser.click("#sign-in")

    assert browser.path == BACKUP_STATUS  # back on the linked page
    assert "Org manager" in browser.find(".session").text
    assert IdpRole.objects.filter(user=alice, group__name=ORG_MANAGERS).exists()
    assert_reach_is_their_subtree(browser, alice)
    browser.screenshot("sso-oidc-org-manager")
    browser.open("/")
    assert "Org manager" in browser.find(".session").text
    browser.screenshot("sso-oidc-org-manager-reach")


def test_an_org_manager_signs_in_through_saml(browser, showcase, saml, settings):
    # As in production: the provider (127.0.0.1) posts back to the site (localhost)
    # across sites, which brings only a SameSite=None cookie, and that only if Secure
    # (Chromium takes Secure cookies from http://localhost).
    settings.SAML_SESSION_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = True
    carol = showcase["users"]["carol"]
    without_manual_role(carol)
    saml.person("carol.castro", email="carol@example.com", groups=[MANAGERS_GROUP])

    browser.open(BACKUP_STATUS)
    assert browser.find(".sso-button").text == "Sign in with Acme SAML"
    browser.click("#sso-saml")
    assert browser.driver.current_url.startswith(saml.base)
    browser.find("#username").send_keys("carol.castro")
    browser.screenshot("sso-saml-identity-provider")
    browser.click("#sign-in")
    # The provider's page posts the signed assertion back by itself.
    WebDriverWait(browser.driver, 10).until(lambda d: d.current_url.endswith(BACKUP_STATUS))
    WebDriverWait(browser.driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    assert "Org manager" in browser.find(".session").text
    assert IdpRole.objects.filter(user=carol, group__name=ORG_MANAGERS).exists()
    assert_reach_is_their_subtree(browser, carol)
    browser.screenshot("sso-saml-org-manager")
    browser.open("/")
    browser.screenshot("sso-saml-org-manager-reach")
