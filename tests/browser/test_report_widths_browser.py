"""Each report's table is whole in a 1280 px window, in headless Chromium: no column
behind the table's sideways scroll. Backup status and Migration plan ran 185 and 219 px
past it (a device's destinations on one line, headers that would not wrap), their last
column (Alerts, Last connected) out of sight until scrolled (found by an audit)."""

from __future__ import annotations

import pytest

from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory, refreshing_once
from tests.personas import ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORTS = ["backup-status", "disk-usage", "migration-plan", "cold-storage"]


@pytest.fixture
@refreshing_once
def deep_org(showcase, orgs):
    """A real tree's depth: an "Engineering" five orgs down, its path shown in full as
    the name repeats, the owner's device backing up to two destinations. The table ran
    135 px past the window on a demo fleet of such paths (found by an audit)."""
    parent = None
    for name in ("Northwind Group", "Americas", "United States", "Austin", "Engineering"):
        parent = OrgFactory(name=name, parent=parent)
    owner = UserFactory(username="ryan.wilson", first_name="Ryan", last_name="Wilson", org=parent)
    device = DeviceFactory(
        user=owner,
        name="LT-RWILSON-01",
        os="win",
        os_version="10.0.22621",
        last_connected_date=ago(days=130),
        alert_states="CriticalBackupAlert CriticalConnectionAlert",
    )
    for days in (130, 139):
        ArchiveFactory(device=device, last_completed_backup_date=ago(days=days))
    return showcase


@pytest.mark.parametrize("slug", REPORTS)
def test_the_table_is_whole_at_1280_px(browser, deep_org, slug):
    browser.sign_in("root")
    browser.open(f"/reports/{slug}/")
    assert browser.driver.execute_script("return window.innerWidth") == 1280
    table, box, page = browser.driver.execute_script(
        "const t = document.querySelector('table.report-table');"
        "return [t.scrollWidth, t.closest('.table-scroll').clientWidth,"
        "  document.documentElement.scrollWidth];"
    )
    assert table <= box, f"{slug}: the table is {table} px in a box of {box} px"
    assert page <= 1280
    # A header on two lines keeps its sort arrow beside its last word, never alone.
    alone = browser.driver.execute_script(
        "return [...document.querySelectorAll('table.report-table thead th a.sort')]"
        ".filter(a => { const words = document.createRange(); words.selectNodeContents(a);"
        "  return a.getBoundingClientRect().height > words.getBoundingClientRect().height + 2; })"
        ".map(a => a.textContent.trim());"
    )
    assert alone == []
    # Each filter's hint is whole in its box ("name, email, empl" was cut; an audit).
    cut = browser.driver.execute_script(
        "const pen = document.createElement('canvas').getContext('2d');"
        "return [...document.querySelectorAll('form input[placeholder]')].filter(i => {"
        "  const s = getComputedStyle(i); pen.font = s.font;"
        "  const room = i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);"
        "  return pen.measureText(i.placeholder).width > room; }).map(i => i.placeholder);"
    )
    assert cut == []
