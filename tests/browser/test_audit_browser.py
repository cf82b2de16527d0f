"""The audit log in headless Chromium: a system administrator reaches it from the menu
and filters it; an org manager and a desktop user have no such page. Screenshots
artifacts/screenshots/audit*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts import audit
from tests.browser.conftest import resize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def log(showcase):
    """A few days of events of several kinds, dated relative to now."""
    now = timezone.now()
    users = showcase["users"]
    audit.record(
        "export.csv",
        actor=users["alice"],
        target="DeviceBackupReport",
        rows=41,
        at=now - dt.timedelta(days=3),
    )
    audit.record("signin.failed", actor="mallory", target="mallory", at=now - dt.timedelta(days=2))
    audit.record("signin.failed", actor="mallory", target="mallory", at=now - dt.timedelta(days=1))
    audit.record("upload.confirmed", actor=users["root"], target="report.csv", rows=1200)
    return showcase


def test_a_system_administrator_reads_and_filters_the_audit_log(sized, log):
    browser = sized
    browser.sign_in("root")
    resize(browser, "desktop")
    browser.click_link("Audit log")
    assert browser.path == "/audit/"
    kinds = [
        row.find_element("css selector", "td:nth-child(3) code").text for row in _rows(browser)
    ]
    # Newest first (by when it was written): root's own sign-in, then the upload.
    assert kinds[:2] == ["signin.succeeded", "upload.confirmed"] and "export.csv" in kinds
    browser.screenshot("audit")

    browser.find("#id_who").send_keys("mallory")
    browser.click("#audit-filters button[type=submit]")
    assert "who=mallory" in browser.path
    assert [row.text.count("mallory") > 0 for row in _rows(browser)] == [True, True]
    assert browser.find("#audit-count").text == "2 events, newest first"
    browser.screenshot("audit-filtered")

    resize(browser, "phone")
    browser.open("/audit/")
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390  # the table scrolls inside its box, never the page
    browser.screenshot("audit-phone")


def _rows(browser) -> list:
    return browser.find_all("#audit-events tbody tr")


@pytest.mark.parametrize("username", ["alice", "dave"])
def test_no_one_else_has_an_audit_log(browser, log, username):
    browser.sign_in(username)
    assert browser.finds_no_page("/audit/")
    assert "mallory" not in browser.html
