"""Every page as each role, at a desktop and a phone size: axe-core finds nothing serious.

axe-core comes from npm (tests/a11y, `npm ci --prefix tests/a11y`); each test injects
its axe.min.js into the page through Selenium and runs axe.run() on the whole document.
Screenshots of each role's overview and of each report at both sizes land in
artifacts/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reports.catalog import REPORTS
from tests.browser.conftest import SIZES, resize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}
# The conformance target: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
ROLES = {"root": "administrator", "alice": "org-manager", "dave": "desktop-user"}


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        reason = f"axe-core is missing ({AXE}); run: npm ci --prefix tests/a11y"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE.read_text(encoding="utf-8")


def serious_violations(browser, axe_source: str) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, readable."""
    browser.driver.execute_script(axe_source)
    results = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));",
        WCAG_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in results
        if v["impact"] in SERIOUS
    ]


def pages_of(username: str) -> dict[str, str]:
    """Every page this role has, by a name for its screenshot."""
    from accounts.models import User
    from reports.dashboards import rollups
    from reports.models import ReportRow

    user = User.objects.get(username=username)
    pages = {"overview": "/"}
    pages |= {f"report-{slug}": report.default_url for slug, report in REPORTS.items()}
    pages |= {f"storage-by-{per}": f"/reports/disk-usage/by-{per}/" for per in rollups.PER}
    device = ReportRow.objects.visible_to(user).order_by("device_name").first()
    pages["device"] = f"/devices/{device.device_uid}/"
    pages["notifications"] = "/notifications/"
    if username != "dave":
        pages["compliance"] = "/history/compliance/"
    if username == "root":
        pages["data"] = "/data/"
    return pages


@pytest.mark.parametrize("size", SIZES)
def test_sign_in_page_has_no_serious_violation(sized, axe_source, fleet, size):
    resize(sized, size)
    sized.open("/accounts/login/")
    assert serious_violations(sized, axe_source) == []


@pytest.mark.parametrize("size", SIZES)
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
        if name == "overview" or name.startswith("report-"):
            sized.screenshot(f"a11y-{name}-{ROLES[username]}-{size}")
    assert not found, "\n".join(f"{url}: {v}" for url, vs in found.items() for v in vs)
