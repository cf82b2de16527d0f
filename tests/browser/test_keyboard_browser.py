"""Keyboard only: a report filtered, sorted, paged and exported with Tab, typing and
Enter, every control reached showing a visible focus; a report saved as a view and
shared with a role; the audit log filtered by who and what; the menu that folds on a phone,
opened and closed from the keyboard; the admin's menu on one line at 1440 px; the
favicon; the before/after screenshots of issue 27's closing note."""

from __future__ import annotations

import csv
import io
import time
import urllib.request

import pytest

from tests.browser.conftest import WAIT_SECONDS, _gone, resize, serious_violations
from tests.factories import ArchiveFactory, DeviceFactory
from tests.personas import ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 250


def press(browser, *keys) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser.driver).send_keys(*keys).perform()


def focused(browser):
    return browser.driver.switch_to.active_element


def focus_is_visible(browser) -> bool:
    """An outline (or a ring drawn as a box shadow) on the focused element."""
    return browser.driver.execute_script(
        "const s = getComputedStyle(document.activeElement);"
        "return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)"
        " || s.boxShadow !== 'none';"
    )


def tab_to(browser, css: str):
    """Press Tab until the focus is on an element matching css; it shows its focus."""
    from selenium.webdriver.common.keys import Keys

    for _ in range(MAX_TABS):
        press(browser, Keys.TAB)
        if browser.driver.execute_script(
            "return document.activeElement.matches(arguments[0])", css
        ):
            assert focus_is_visible(browser), f"no visible focus on {css}"
            return focused(browser)
    raise AssertionError(f"Tab never reached {css}")


def enter_to_next_page(browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.wait import WebDriverWait

    page = browser.driver.find_element(By.TAG_NAME, "html")
    press(browser, Keys.ENTER)
    WebDriverWait(browser.driver, WAIT_SECONDS).until(lambda driver: _gone(page))
    WebDriverWait(browser.driver, WAIT_SECONDS).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )


def test_a_report_is_filtered_sorted_paged_and_exported_by_keyboard(sized, showcase):
    from selenium.webdriver.common.keys import Keys

    browser = sized
    for n in range(20):  # enough Macs for two pages of 25
        device = DeviceFactory(
            user=showcase["users"]["dave"], name=f"KEY-MAC-{n:02d}", os="mac", os_version="14.6"
        )
        ArchiveFactory(device=device, last_completed_backup_date=ago(hours=n + 1))
    browser.sign_in("root")
    resize(browser, "desktop")
    browser.open("/reports/backup-status/?view=archives")

    tab_to(browser, "#id_os")
    press(browser, "mac")
    tab_to(browser, "#id_pgSize")
    press(browser, Keys.ARROW_UP)  # from 50 to 25
    tab_to(browser, ".filters button[type=submit]")
    enter_to_next_page(browser)
    assert "os=mac" in browser.path and "pgSize=25&" in browser.path + "&", browser.path

    tab_to(browser, 'a.sort[href*="srtKey=lastCompletedBackupDate"]')
    enter_to_next_page(browser)
    assert "srtKey=lastCompletedBackupDate" in browser.path and "os=mac" in browser.path
    first_page = browser.device_names()
    assert len(first_page) == 25

    tab_to(browser, '.pagination a[rel="next"]')
    enter_to_next_page(browser)
    assert "pgNum=2" in browser.path and "srtKey=lastCompletedBackupDate" in browser.path
    second_page = browser.device_names()
    assert second_page and not set(second_page) & set(first_page)

    folder = browser.driver.downloads
    for old in folder.iterdir():
        old.unlink()
    tab_to(browser, "a.button[href*='export=csv']")
    press(browser, Keys.ENTER)  # a download: no new page
    deadline = time.monotonic() + WAIT_SECONDS
    while not [f for f in folder.iterdir() if f.suffix == ".csv"]:
        assert time.monotonic() < deadline, list(folder.iterdir())
        time.sleep(0.1)
    rows = list(csv.DictReader(io.StringIO(next(folder.glob("*.csv")).read_text("utf-8"))))
    names = [r["deviceName"] for r in rows]
    assert {r["os"] for r in rows} == {"mac"}
    assert names[:25] == first_page and names[25 : 25 + len(second_page)] == second_page


def test_a_view_is_saved_and_shared_by_keyboard(sized, showcase):
    from accounts.roles import DESKTOP_USERS
    from reports.dashboards.saved.models import SavedView

    browser = sized
    browser.sign_in("alice")
    resize(browser, "desktop")
    browser.open("/reports/backup-status/?view=devices&health=failing")

    tab_to(browser, 'a.button[href^="/views/save/"]')
    enter_to_next_page(browser)
    assert browser.path.startswith("/views/save/"), browser.path
    tab_to(browser, "#id_name")
    press(browser, "Failing in my orgs")
    role = _role_choice(browser, DESKTOP_USERS)
    tab_to(browser, f"#{role.get_attribute('id')}")
    press(browser, " ")  # a checkbox ticks on Space
    assert role.is_selected()
    tab_to(browser, "#id_shared_usernames")
    press(browser, "dave")
    tab_to(browser, "#save-view button[type=submit]")
    enter_to_next_page(browser)

    assert browser.path.startswith("/reports/backup-status/?") and "health=failing" in browser.path
    assert 'Saved as "Failing in my orgs".' in browser.find("main").text
    view = SavedView.objects.get(name="Failing in my orgs")
    assert view.owner.username == "alice" and view.query_dict["health"] == "failing"
    assert [g.name for g in view.shared_roles.all()] == [DESKTOP_USERS]
    assert [u.username for u in view.shared_users.all()] == ["dave"]

    tab_to(browser, 'a[href="/views/"]')
    enter_to_next_page(browser)
    tab_to(browser, f'#saved-views a[href="/views/{view.pk}/"]')
    enter_to_next_page(browser)  # the view opens as the report it keeps
    assert browser.path == view.url, browser.path


def _role_choice(browser, role: str):
    """The checkbox of a role in the save form, found by its label's words."""
    from selenium.webdriver.common.by import By

    for label in browser.find_all("#save-view label"):
        if label.text.strip() == role:
            return label.find_element(By.CSS_SELECTOR, "input")
    raise AssertionError(f"no choice of {role}")


def test_the_audit_log_is_filtered_by_keyboard(sized, showcase):
    import datetime as dt

    from django.utils import timezone

    from accounts import audit

    browser = sized
    now = timezone.now()
    for hours in (30, 5):
        audit.record(
            "signin.failed", actor="mallory", target="mallory", at=now - dt.timedelta(hours=hours)
        )
    audit.record("signin.failed", actor="trudy", target="trudy", at=now - dt.timedelta(hours=2))
    audit.record("export.csv", actor="mallory", target="DeviceBackupReport", rows=3)
    browser.sign_in("root")
    resize(browser, "desktop")
    browser.open("/audit/")

    tab_to(browser, "#id_who")
    press(browser, "mall")
    tab_to(browser, "#id_what")
    press(browser, "failed to")  # a select picks the option its typed words begin
    tab_to(browser, "#audit-filters button[type=submit]")
    enter_to_next_page(browser)

    assert "who=mall" in browser.path and "what=signin.failed" in browser.path, browser.path
    rows = browser.find_all("#audit-events tbody tr")
    assert len(rows) == 2 and all("mallory" in row.text for row in rows)
    assert browser.find("#audit-count").text.startswith("2 events")
    tab_to(browser, "#audit-csv")  # the same events as CSV, reached by Tab as well
    assert "who=mall" in focused(browser).get_attribute("href")


def test_the_menu_folds_on_a_phone_and_opens_from_the_keyboard(sized, axe_source, showcase):
    from selenium.webdriver.common.keys import Keys

    browser = sized
    browser.sign_in("root")
    resize(browser, "phone")
    browser.open("/reports/disk-usage/")
    button = browser.find("#menu-button")
    assert button.is_displayed() and button.get_attribute("aria-expanded") == "false"
    assert not browser.find('#menu a[href="/admin/"]').is_displayed()
    browser.screenshot("ux-after-menu-folded-phone")

    tab_to(browser, "#menu-button")
    press(browser, Keys.ENTER)
    assert button.get_attribute("aria-expanded") == "true"
    for link in browser.find_all("#menu a"):
        assert link.is_displayed(), link.text
    browser.screenshot("ux-after-menu-open-phone")
    assert serious_violations(browser, axe_source) == []
    tab_to(browser, '#menu a[href="/admin/"]')
    press(browser, Keys.ESCAPE)
    assert button.get_attribute("aria-expanded") == "false"
    assert focused(browser) == button
    press(browser, " ")  # a button opens on Space as well
    assert button.get_attribute("aria-expanded") == "true"
    press(browser, Keys.ESCAPE)  # and closes on Escape with focus still on it
    assert button.get_attribute("aria-expanded") == "false"


def test_without_javascript_the_phone_menu_shows_every_item(sized, showcase):
    browser = sized
    browser.sign_in("root")
    resize(browser, "phone")
    browser.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.open("/reports/disk-usage/")
        assert not browser.find("#menu-button").is_displayed()
        links = browser.find_all("#menu a")
        assert len(links) == 12 and all(link.is_displayed() for link in links)
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_the_administrators_menu_fits_one_line_at_1440(sized, showcase):
    browser = sized
    browser.sign_in("root")
    resize(browser, "desktop")
    browser.open("/")
    assert not browser.find("#menu-button").is_displayed()
    tops = {link.location["y"] for link in browser.find_all("#menu a")}
    assert len(tops) == 1, tops
    assert browser.find('#menu a[href="/admin/"]').is_displayed()


def test_the_favicon_is_served(sized, fleet, live_server):
    sized.open("/accounts/login/")
    icon = sized.find('link[rel="icon"]').get_attribute("href")
    with urllib.request.urlopen(icon) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("image/svg+xml")
    with urllib.request.urlopen(live_server.url + "/favicon.ico") as answer:  # redirected
        assert answer.status == 200 and answer.url.endswith("favicon.svg")


def _rising_trend(days: int = 30) -> None:
    """Snapshots of a fleet going from 77% to 84% OK: what a fixed 0-100% axis flattened."""
    import datetime as dt

    from django.utils import timezone

    from accounts.models import Org
    from reports.history.models import Snapshot

    now = timezone.now()
    today = timezone.localdate(now)
    acme = Org.objects.get(org_uid="org-acme")
    Snapshot.objects.bulk_create(
        Snapshot(
            org=acme,
            day=today - dt.timedelta(days=age),
            devices=100,
            ok=84 - age * 7 // days,
            warning=10,
            critical=6 + age * 7 // days,
            taken_at=now,
        )
        for age in range(days)
    )


def test_after_screenshots(sized, showcase):
    """Issue 27's closing note: the desktop user's overview, a phone-width report, and
    the administrator's charts and trend at both sizes."""
    browser = sized
    _rising_trend()
    browser.sign_in("dave")
    for size in ("desktop", "phone"):
        resize(browser, size)
        browser.open("/")
        browser.screenshot(f"ux-after-overview-desktop-user-{size}")
    browser.sign_out()
    browser.sign_in("root")
    resize(browser, "phone")
    browser.open("/reports/backup-status/")
    browser.screenshot("ux-after-report-backup-status-phone")
    browser.driver.execute_script("document.querySelector('.report-table').scrollIntoView()")
    browser.screenshot("ux-after-report-backup-status-phone-table")
    browser.open("/")
    browser.driver.execute_script("document.querySelector('.charts').scrollIntoView()")
    browser.screenshot("ux-after-overview-administrator-phone-charts")
    browser.driver.execute_script("document.querySelector('.trend-section').scrollIntoView()")
    browser.screenshot("ux-after-overview-administrator-phone-trend")
    resize(browser, "desktop")
    browser.open("/")
    browser.screenshot("ux-after-overview-administrator-desktop")
    browser.driver.execute_script("document.querySelector('.charts').scrollIntoView()")
    browser.screenshot("ux-after-overview-administrator-desktop-charts")
