"""The notifications page and the unsubscribe link in headless Chromium; the rendered
digest (its HTML part) as a screenshot in artifacts/screenshots/."""

from __future__ import annotations

import pytest

from reports.notifications.models import Frequency, Preference, SiteSwitch
from reports.notifications.sending import send_due
from tests.browser.conftest import SCREENSHOTS, WINDOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_chooses_what_they_get(browser, fleet):
    browser.sign_in("dave")
    browser.click_link("Notifications")
    assert browser.path == "/notifications/"
    assert not browser.find_all("input[name=digest]")  # a desktop user gets no digest
    box = browser.find("#id_owner_alerts")
    assert box.is_selected()
    box.click()
    browser.click("#notification-settings button[type=submit]")
    assert "Your notification settings are saved." in browser.find(".notice[role=status]").text
    assert not browser.find("#id_owner_alerts").is_selected()
    assert Preference.objects.get(user=fleet["users"]["dave"]).owner_alerts is False


def test_a_system_administrator_turns_owner_alerts_on(browser, fleet):
    browser.sign_in("root")
    browser.open("/notifications/")
    browser.find("input[name=digest][value=daily]").click()
    browser.find("#id_site_owner_alerts").click()
    browser.screenshot("notifications-page-administrator")
    browser.click("#notification-settings button[type=submit]")
    assert browser.find("#id_site_owner_alerts").is_selected()
    assert SiteSwitch.current().owner_alerts is True
    assert Preference.objects.get(user=fleet["users"]["root"]).digest == Frequency.DAILY


def test_an_administrators_two_owner_alert_boxes_are_apart(browser, fleet):
    """Issue 23: both boxes were named owner_alerts, so the site switch followed the
    administrator's own box. Saving unchanged changes nothing; each box only itself."""
    root = fleet["users"]["root"]
    browser.sign_in("root")
    browser.open("/notifications/")
    assert browser.find("#id_owner_alerts").is_selected()
    assert not browser.find("#id_site_owner_alerts").is_selected()
    browser.click("#notification-settings button[type=submit]")
    assert "Your notification settings are saved." in browser.find(".notice[role=status]").text
    assert SiteSwitch.current().owner_alerts is False
    browser.find("#id_owner_alerts").click()
    browser.find("#id_site_owner_alerts").click()
    browser.click("#notification-settings button[type=submit]")
    assert not browser.find("#id_owner_alerts").is_selected()
    assert browser.find("#id_site_owner_alerts").is_selected()
    assert Preference.objects.get(user=root).owner_alerts is False
    assert SiteSwitch.current().owner_alerts is True


def test_the_unsubscribe_link_of_a_digest_works_without_signing_in(
    browser, smtp_server, showcase, settings, live_server
):
    settings.SITE_URL = live_server.url
    send_due()
    (digest,) = smtp_server.to(showcase["users"]["root"].email)
    # The HTML part as a mail client shows it: a file, no server, a tall viewport.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = SCREENSHOTS.parent / "notifications-digest.html"
    page.write_text(digest.html, encoding="utf-8")
    viewport = {"deviceScaleFactor": 1, "mobile": False}
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", viewport | {"width": 760, "height": 1180}
    )
    try:
        browser.driver.get(page.as_uri())
        browser.screenshot("notifications-digest")
    finally:
        browser.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            viewport | {"width": WINDOW[0], "height": WINDOW[1]},
        )
        page.unlink()
    link = str(digest.message["List-Unsubscribe"]).strip()[1:-1]
    assert link.startswith(live_server.url)
    browser.driver.get(link)
    assert "Stop emailing root@example.com the backup digest?" in browser.find("#unsubscribe").text
    browser.click("#unsubscribe button[type=submit]")
    assert "no longer receive the backup digest" in browser.find("#unsubscribed").text
    assert Preference.objects.get(user=showcase["users"]["root"]).digest == Frequency.OFF
