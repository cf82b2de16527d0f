"""Answers that count in headless Chromium: a device with a fresh and a stale
destination, one row per device, the migration plan's data to move, compliance down to
the failing devices; as a system administrator and as an org manager. Screenshots in
artifacts/screenshots/."""

import pytest
from django.utils import timezone

from reports.history.snapshots import take
from tests.factories import ArchiveFactory, DeviceFactory, refreshing_once
from tests.personas import ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GIB = 1024**3


@pytest.fixture
@refreshing_once
def answers(showcase, fleet):
    """LT-SWOOD-01: fresh in the cloud, 36 days stale in the EU; LT-ACARTER-02: a Mac
    with two 39.7 GiB archives. Both dave's, in Accounting."""
    swood = DeviceFactory(
        user=fleet["users"]["dave"],
        name="LT-SWOOD-01",
        os="win",
        last_connected_date=ago(hours=1),
        alert_states="CriticalBackupAlert",
    )
    ArchiveFactory(device=swood, last_completed_backup_date=ago(hours=2))
    ArchiveFactory(device=swood, last_completed_backup_date=ago(days=36))
    carter = DeviceFactory(
        user=fleet["users"]["dave"],
        name="LT-ACARTER-02",
        os="mac",
        last_connected_date=ago(hours=3),
    )
    for _ in range(2):
        ArchiveFactory(
            device=carter,
            selected_bytes=int(39.7 * GIB),
            archive_bytes=int(39.7 * GIB),
            last_completed_backup_date=ago(hours=5),
        )
    take(timezone.now())
    return {"swood": swood, "carter": carter}


def test_an_administrator_finds_the_stale_destination_everywhere(browser, answers):
    browser.sign_in("root")
    browser.click(".stat-critical")
    assert "view=devices" in browser.path and "health=critical" in browser.path
    assert "LT-SWOOD-01" in browser.device_names()
    assert "one row each" in browser.find(".result-count").text
    browser.screenshot("report-backup-status-per-device")

    browser.click_link("One row per archive")
    assert "view=archives" in browser.path
    assert browser.device_names().count("LT-SWOOD-01") == 2
    browser.screenshot("report-backup-status-per-archive")

    browser.open(f"/devices/{answers['swood'].device_uid}/")
    assert browser.find("h1 .badge").text == "Critical"
    assert browser.find_all(".report-table .age-critical") and browser.find_all(
        ".report-table .age-ok"
    )
    browser.screenshot("device-two-destinations")

    browser.click_link("Migration plan")
    assert "LT-ACARTER-02" in browser.device_names()
    assert "39.7 GiB" in browser.html and "79.4 GiB" in browser.html
    browser.screenshot("report-migration-plan-per-device")
    browser.sign_out()


def test_an_org_manager_opens_an_org_to_its_failing_devices(browser, answers):
    browser.sign_in("alice")
    browser.open("/history/compliance/")
    assert browser.find_all("#compliance tr.target-missed")
    browser.screenshot("compliance-target-org-manager")
    browser.click("#compliance tbody td:last-child a")
    assert "health=failing" in browser.path
    names = set(browser.device_names())
    assert {"LT-SWOOD-01", "DAVE-WIN"} <= names
    assert "SAM-OLD" not in names  # Sales is not alice's
    browser.screenshot("report-failing-devices-org-manager")
    browser.open(f"/devices/{answers['swood'].device_uid}/")
    assert browser.find("h1 .badge").text == "Critical"
    browser.screenshot("device-two-destinations-org-manager")
    browser.sign_out()
