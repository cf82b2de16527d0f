"""Every page as each role, at a desktop and a phone size: axe-core finds nothing serious.

axe-core comes from npm (tests/a11y, `npm ci --prefix tests/a11y`); each test injects
its axe.min.js into the page through Selenium and runs axe.run() on the whole document.
Screenshots of each role's overview, and of each report as the administrator sees it,
at both sizes land in artifacts/screenshots/ux-*.png.
"""

from __future__ import annotations

import pytest

from reports.catalog import REPORTS
from tests.browser.conftest import resize, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = {"root": "administrator", "alice": "org-manager", "dave": "desktop-user"}


def pages_of(username: str) -> dict[str, str]:
    """Every page this role has, by a name for its screenshot; a device it may see."""
    from accounts.models import User
    from accounts.roles import reach_of
    from reports.dashboards import rollups
    from reports.models import ReportRow

    user = User.objects.get(username=username)
    pages = {"overview": "/"}
    pages |= {f"report-{slug}": report.default_url for slug, report in REPORTS.items()}
    pages |= {f"storage-by-{per}": f"/reports/disk-usage/by-{per}/" for per in rollups.PER}
    device = ReportRow.objects.visible_to(user).order_by("device_name").first()
    pages["device"] = f"/devices/{device.device_uid}/"
    pages["notifications"] = "/notifications/"
    if reach_of(user).has_fleet:
        pages["compliance"] = "/history/compliance/"
    if reach_of(user).everything:
        pages["data"] = "/data/"
    return pages


# Pages anyone reaches signed out: signing in, a password reset, an unsubscribe link
# that no longer works, a page that does not exist.
SIGNED_OUT = (
    "/accounts/login/",
    "/accounts/password-reset/",
    "/notifications/unsubscribe/not-a-token/",
    "/no-such-page/",
)


AXE_SIZES = ("desktop", "phone")


@pytest.mark.parametrize("size", AXE_SIZES)
def test_signed_out_pages_have_no_serious_violation(sized, axe_source, fleet, size):
    resize(sized, size)
    found = {}
    for url in SIGNED_OUT:
        sized.open(url)
        found[url] = serious_violations(sized, axe_source)
    assert found == {url: [] for url in SIGNED_OUT}


@pytest.mark.parametrize("size", AXE_SIZES)
@pytest.mark.parametrize("username", ROLES)
def test_every_page_has_no_serious_violation(sized, axe_source, showcase, username, size):
    sized.sign_in(username)
    resize(sized, size)
    found = {}
    for name, url in pages_of(username).items():
        sized.open(url)
        violations = serious_violations(sized, axe_source)
        if violations:
            found[url] = violations
        # Each role's overview, and each report as the administrator sees it.
        if name == "overview" or (name.startswith("report-") and username == "root"):
            sized.screenshot(f"ux-{name}-{ROLES[username]}-{size}")
    assert not found, "\n".join(f"{url}: {v}" for url, vs in found.items() for v in vs)


def test_no_page_is_wider_than_a_360_px_phone(sized, showcase):
    """Only a table scrolls sideways, inside its box: never the page."""
    sized.sign_in("root")
    resize(sized, "narrow")
    wider = {}
    for url in pages_of("root").values():
        sized.open(url)
        width = sized.driver.execute_script("return document.documentElement.scrollWidth")
        if width > 360:
            wider[url] = width
    assert wider == {}
