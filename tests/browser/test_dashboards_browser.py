"""Each role clicks through the dashboards in headless Chromium; screenshots of each page."""

import csv
import io

import pytest

from accounts.models import User
from reports.catalog import REPORTS
from reports.query import report_query

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVERYTHING = "?srtDir=asc&pgSize=1000"


def test_sign_in_page(browser, fleet):
    browser.open("/")
    assert browser.path.startswith("/accounts/login/?next=/")
    browser.screenshot("login")
    browser.find("#id_username").send_keys("dave")
    browser.find("#id_password").send_keys("wrong")
    browser.click("form.stacked button[type=submit]")
    assert "alert-error" in browser.html


def test_system_administrator_walks_through_every_page(browser, showcase):
    browser.sign_in("root")
    assert "System administrator" in browser.find(".session").text
    assert browser.find_all('.nav a[href="/admin/"]')
    browser.screenshot("overview")

    # A health number leads to the report that lists those devices.
    browser.click(".stat-critical")
    assert "health=critical" in browser.path
    assert "SAM-OLD" in browser.device_names()

    for slug, report in REPORTS.items():
        browser.click_link(report.title)
        assert browser.find("h1").text == report.title
        browser.screenshot(f"report-{slug}")

    # Sort by a column header, then filter with the form.
    browser.click_link("Backup status")
    browser.click_link("One row per archive")  # as the API's rows, to compare below
    browser.click_link("Last backup")
    assert "srtKey=lastCompletedBackupDate&srtDir=asc" in browser.path
    browser.find("#id_os").send_keys("win")
    browser.click(".filters button[type=submit]")
    assert "os=win" in browser.path and "srtKey=lastCompletedBackupDate" in browser.path
    names = browser.device_names()
    root = User.objects.get(username="root")
    params = {"os": "win", "active": "true", "srtKey": "lastCompletedBackupDate"}
    expected = list(report_query(params, root).rows.values_list("device_name", flat=True))
    assert names == expected[: len(names)]
    browser.screenshot("report-backup-status-sorted-filtered")

    # Export CSV downloads every filtered, sorted row.
    rows = list(csv.DictReader(io.StringIO(browser.download("Export CSV"))))
    assert [r["deviceName"] for r in rows] == expected

    browser.click_link(names[0])
    assert browser.path.startswith("/devices/")
    assert "Archives" in browser.html
    browser.screenshot("device")

    browser.open("/reports/disk-usage/?srtKey=nosuch&active=maybe")
    assert "Some parameters could not be understood" in browser.html
    assert "srtKey" in browser.find(".alert-error").text
    browser.screenshot("invalid-parameters")

    browser.open("/reports/search/?user=&srtDir=asc")
    browser.screenshot("report-search-empty")
    browser.sign_out()


def test_org_manager_never_sees_another_org(browser, showcase):
    browser.sign_in("alice")
    assert "Org manager" in browser.find(".session").text
    assert not browser.find_all('.nav a[href="/admin/"]')
    browser.screenshot("overview-org-manager")
    strangers = ("Sales", "Engineering", "Americas", "Platform", "SAM-OLD", "ERIN-NEW")
    for stranger in strangers:
        assert stranger not in browser.html
    for slug in REPORTS:
        browser.open(f"/reports/{slug}/{EVERYTHING}&device=-")
        for stranger in strangers:
            assert stranger not in browser.html, (slug, stranger)
    browser.open(f"/reports/disk-usage/{EVERYTHING}")
    browser.screenshot("report-disk-usage-org-manager")
    rows = list(csv.DictReader(io.StringIO(browser.download("Export CSV"))))
    assert rows and {r["orgName"] for r in rows} <= {"Accounting", "Payroll"}
    sam = showcase["critical"]
    browser.open(f"/devices/{sam.device_uid}/")
    assert "SAM-OLD" not in browser.html
    assert "Not Found" in browser.html or "Not found" in browser.html


def test_desktop_user_sees_only_their_devices(browser, showcase):
    browser.sign_in("dave")
    assert "Desktop user" in browser.find(".session").text
    browser.click_link("Backup status")
    assert set(browser.device_names()) <= {"DAVE-WIN"} | {
        name for name in browser.device_names() if name.startswith("LAPTOP-")
    }
    assert len(browser.device_names()) == 2
    browser.screenshot("report-backup-status-desktop-user")
