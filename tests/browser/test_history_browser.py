"""The health trend and compliance by org in headless Chromium, for each role;
screenshots in artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import json

import pytest

from reports.history.backfill import backfill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(showcase):
    backfill(90, seed=3)
    return showcase


def show(browser, css: str) -> None:
    element = browser.find(css)
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)


def api_json(browser, path: str) -> dict:
    """The resource as the signed-in browser gets it (its session cookie)."""
    browser.open(path)
    return json.loads(browser.find("body").text)


def test_a_system_administrator_reads_the_trend_and_drills_down_the_compliance(browser, history):
    browser.sign_in("root")
    trend = browser.find("svg.trend-wide")
    assert trend.is_displayed()
    assert len(browser.find_all("svg.trend-wide .trend-day")) == 90
    assert not browser.find_all("svg.trend a")
    show(browser, ".trend-section")
    browser.screenshot("overview-trend")
    browser.find(".trend-figures summary").click()  # opens in place: no new page
    assert len(browser.find_all(".trend-figures tbody tr")) == 90

    browser.click_link("Compliance")
    assert browser.find("h1").text == "Compliance by org"
    assert len(browser.find_all("#compliance tbody tr")) == 1  # the root, Acme
    browser.click("#compliance tbody th a")
    assert "org=org-acme" in browser.path
    browser.click_link("EMEA")
    browser.click_link("Change")
    assert "sort=change" in browser.path
    browser.screenshot("compliance")
    names = [th.text for th in browser.find_all("#compliance tbody th")]
    assert set(names) == {"Accounting", "Sales"}
    level = browser.path
    exported = list(csv.DictReader(io.StringIO(browser.download("Export CSV"))))
    query = level.split("?", 1)[1]
    answer = api_json(browser, f"/api/history/compliance?{query}")
    assert [r["orgUid"] for r in exported] == [r["orgUid"] for r in answer["data"]["rows"]]
    assert [r["orgName"] for r in answer["data"]["rows"]] == [
        n.removesuffix(" (directly in it)") for n in names
    ]


def test_an_org_manager_sees_their_subtree_only(browser, history):
    browser.sign_in("carol")
    assert browser.find("svg.trend-wide").is_displayed()
    show(browser, ".trend-section")
    browser.screenshot("overview-trend-org-manager")
    browser.click_link("Compliance")
    assert [th.text for th in browser.find_all("#compliance tbody th")] == ["Americas"]
    browser.click("#compliance tbody th a")
    names = {th.text for th in browser.find_all("#compliance tbody th")}
    assert names == {"Engineering", "Design", "Americas (directly in it)"}
    browser.screenshot("compliance-org-manager")
    browser.open("/history/compliance/?org=org-emea")
    assert browser.find("h1").text == "Not found"  # EMEA is above Americas' reach


def test_a_desktop_user_gets_no_trend_and_no_compliance(browser, history):
    browser.sign_in("dave")
    assert not browser.find_all("svg.trend")
    assert not browser.find_all('.nav a[href="/history/compliance/"]')
    browser.open("/history/compliance/")
    assert "No fleet figures for your role" in browser.html
    browser.screenshot("compliance-desktop-user")
