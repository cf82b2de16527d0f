"""Finding in headless Chromium: the org picker's type-ahead, storage by user and by
org, cold storage's expiries, chips in words; screenshots as an administrator and as
an org manager."""

from __future__ import annotations

import pytest

from tests.browser.conftest import WAIT_SECONDS
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory, refreshing_once
from tests.personas import ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
@refreshing_once
def two_accountings(showcase, orgs, fleet):
    """A second Accounting, under Americas, and an archive whose expiry has passed."""
    accounting = OrgFactory(org_uid="org-us-accounting", name="Accounting", parent=orgs["americas"])
    owner = UserFactory(username="andrew", first_name="Andrew", last_name="Carter", org=accounting)
    for n, size in enumerate((120, 80, 40)):
        device = DeviceFactory(
            user=owner, name=f"LT-ACARTER-0{n + 1}", last_connected_date=ago(hours=2)
        )
        ArchiveFactory(
            device=device, archive_bytes=size * 1024**3, last_completed_backup_date=ago(hours=3)
        )
    ArchiveFactory(
        device=DeviceFactory(
            user=fleet["users"]["sam"], name="SAM-RETIRED", last_connected_date=ago(days=200)
        ),
        cold_storage=True,
        cold_storage_expire_date=ago(days=12),
        archive_bytes=64 * 1024**3,
    )


def suggestions(browser, typed: str) -> list[str]:
    from selenium.webdriver.support.wait import WebDriverWait

    field = browser.find("#id_orgTree")
    field.clear()
    field.send_keys(typed)
    script = "return [...document.querySelectorAll('#org-suggestions option')].map(o => o.value)"
    WebDriverWait(browser.driver, WAIT_SECONDS).until(lambda d: d.execute_script(script))
    return browser.driver.execute_script(script)


def test_administrator_picks_an_org_and_reads_storage_by_user_and_org(browser, two_accountings):
    browser.sign_in("root")
    browser.click_link("Backup status")
    offered = suggestions(browser, "accou")
    assert offered == ["Acme › Americas › Accounting", "Acme › EMEA › Accounting"]
    browser.screenshot("org-picker-suggestions")
    field = browser.find("#id_orgTree")
    field.clear()
    field.send_keys(offered[1])
    browser.click(".filters button[type=submit]")
    assert "orgTree=" in browser.path
    names = set(browser.device_names())
    assert "DAVE-WIN" in names and not any(n.startswith("LT-ACARTER") for n in names)
    # The payroll team below EMEA › Accounting is in the subtree.
    assert any(n.startswith(("ANA", "EVA", "INES")) for n in names)
    browser.screenshot("report-backup-status-org-picked")

    browser.click_link("Disk usage")
    browser.click_link("By user")
    assert browser.find("h1").text == "Storage by user"
    andrew = [r.text for r in browser.find_all(".rollup-table tbody tr") if "andrew" in r.text]
    assert len(andrew) == 1 and "240 GiB" in andrew[0] and "LT-ACARTER-01" in andrew[0]
    browser.screenshot("storage-by-user")
    browser.click_link("Devices")
    assert "srtKey=devices&srtDir=desc" in browser.path
    devices = [
        r.find_elements("css selector", "td")[4].text
        for r in browser.find_all(".rollup-table tbody tr")
    ]
    assert devices[0] == "3" and devices == sorted(devices, key=int, reverse=True)
    browser.click_link("By org")
    assert "Acme › Americas › Accounting" in browser.html
    browser.screenshot("storage-by-org")

    browser.open("/reports/disk-usage/?exactOrgUid=org-accounting&srtDir=asc")
    assert (
        "Org: Acme › EMEA › Accounting only, not the orgs below it" in browser.find(".chips").text
    )
    assert "exactOrgUid=org" not in browser.find(".chips").text
    browser.screenshot("report-disk-usage-org-chip")

    browser.open("/reports/cold-storage/?coldStorage=true&srtKey=coldStorageExpireDate&srtDir=asc")
    assert "Archives in cold storage, soonest to expire first." in browser.html
    assert browser.find_all(".badge-expired")
    browser.screenshot("report-cold-storage-expiry")
    browser.sign_out()


def test_a_failed_suggestion_leaves_nothing_stale_and_is_asked_again(browser, two_accountings):
    from selenium.webdriver.support.wait import WebDriverWait

    browser.sign_in("root")
    browser.click_link("Backup status")
    assert suggestions(browser, "accou")
    field = browser.find("#id_orgTree")
    working = field.get_attribute("data-org-suggest")
    browser.driver.execute_script("arguments[0].dataset.orgSuggest = '/no-such-place/'", field)
    field.clear()
    field.send_keys("ameri")
    script = "return document.querySelectorAll('#org-suggestions option').length"
    WebDriverWait(browser.driver, WAIT_SECONDS).until(lambda d: d.execute_script(script) == 0)
    browser.driver.execute_script(f"arguments[0].dataset.orgSuggest = '{working}'", field)
    field.send_keys(" ")  # the same text, trimmed, asked again
    WebDriverWait(browser.driver, WAIT_SECONDS).until(lambda d: d.execute_script(script))
    offered = browser.driver.execute_script(
        "return [...document.querySelectorAll('#org-suggestions option')].map(o => o.value)"
    )
    assert "Acme › Americas" in offered


def test_org_manager_is_offered_only_their_subtree(browser, two_accountings):
    browser.sign_in("carol")  # Americas
    browser.click_link("Backup status")
    assert suggestions(browser, "accou") == ["Americas › Accounting"]
    browser.screenshot("org-picker-suggestions-org-manager")
    browser.click_link("Disk usage")
    browser.click_link("By user")
    text = browser.find(".rollup-table").text
    assert "andrew" in text and "dave" not in text and "EMEA" not in browser.html
    browser.screenshot("storage-by-user-org-manager")
    browser.click_link("By org")
    assert "Acme" not in browser.html and "EMEA" not in browser.html
    browser.screenshot("storage-by-org-org-manager")
    browser.open("/reports/cold-storage/?coldStorage=true&srtKey=coldStorageExpireDate&srtDir=asc")
    assert "SAM-RETIRED" not in browser.html
    browser.screenshot("report-cold-storage-org-manager")
    browser.sign_out()
