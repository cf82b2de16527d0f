"""The overview's "data as of" line in Chromium: fresh in the muted colour, stale in the
warning colour (spec section 8). Screenshots for the README and the closing note."""

import pytest

from reports.refresh.models import Run
from tests.personas import ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def record_sync(**age) -> Run:
    return Run.objects.create(
        kind="sync",
        trigger="schedule",
        outcome="succeeded",
        started_at=ago(**age),
        source="https://console.us1.crashplan.com as API client key-0123",
    )


def test_fresh_data_says_how_old_it_is(browser, showcase):
    record_sync(hours=3)
    browser.sign_in("root")
    line = browser.find("#data-age")
    assert line.text.startswith("Data as of ")
    assert "3 hours ago (the last successful sync from the vendor)" in line.text
    assert "older than" not in line.text
    browser.screenshot("overview-data-as-of")


def test_stale_data_is_flagged_in_the_warning_colour(browser, showcase):
    record_sync(hours=30)
    browser.sign_in("root")
    line = browser.find("#data-age")
    assert "older than 26 hours" in line.text
    fresh_colour = browser.driver.execute_script(
        "return getComputedStyle(document.querySelector('.lead')).color"
    )
    assert line.value_of_css_property("color") != fresh_colour
    assert line.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    browser.screenshot("overview-data-stale")
