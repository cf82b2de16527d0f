"""Every page as each role, at a desktop and a phone size: axe-core finds nothing serious.

The pages include saved views (the list and the save form), subscriptions (the list and
the subscribe form), each with rows of the role's own and shared ones, and for a system
administrator the audit log (filtered, and with a filter it does not understand).

axe-core comes from npm (tests/a11y, `npm ci --prefix tests/a11y`); each test injects
its axe.min.js into the page through Selenium and runs axe.run() on the whole document.
Screenshots of each role's overview, and of each report as the administrator sees it,
at both sizes land in artifacts/screenshots/ux-*.png.
"""

from __future__ import annotations

from urllib.parse import urlencode

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
    # A paged list, on its first page and its second (a desktop user's last): the links
    # that cannot be followed there ("« First", "Next ›") were drawn grey at 2.13:1, and
    # no page here had a second page for axe to see them (found by an audit).
    disk_usage = REPORTS["disk-usage"]
    pages["paged-first"] = disk_usage.url(pgSize="1")
    pages["paged-second"] = disk_usage.url(pgSize="1", pgNum="2")
    pages |= {f"storage-by-{per}": f"/reports/disk-usage/by-{per}/" for per in rollups.PER}
    device = ReportRow.objects.visible_to(user).order_by("device_name").first()
    pages["device"] = f"/devices/{device.device_uid}/"
    pages["notifications"] = "/notifications/"
    if reach_of(user).has_fleet:
        pages["compliance"] = "/history/compliance/"
    if reach_of(user).everything:
        pages["data"] = "/data/"
    return pages | saved_view_pages(user)


def saved_view_pages(user) -> dict[str, str]:
    """Saved views and subscriptions as this user has them; the audit log if they may
    read it (system administrators only)."""
    from accounts.roles import is_system_administrator
    from reports.dashboards.saved.models import SavedView

    own = SavedView.objects.filter(owner=user).first()
    report = REPORTS["backup-status"].default_url
    pages = {
        "saved-views": "/views/",
        "save-view": "/views/save/?" + urlencode({"from": report}),
        "subscriptions": "/notifications/subscriptions/",
        "subscribe": f"/notifications/subscriptions/new/{own.pk}/",
    }
    if is_system_administrator(user):
        pages["audit"] = "/audit/"
        pages["audit-not-understood"] = "/audit/?" + urlencode({"since": "not a day"})
    return pages


@pytest.fixture
def views_and_subscriptions(showcase):
    """Each role's own view, subscribed to, and one the administrator shares with every
    role: the saved views and subscriptions pages show rows, not their empty state."""
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import ROLE_GROUPS
    from reports.dashboards.saved.models import SavedView
    from reports.notifications.models import Subscription

    query = "view=devices&health=failing&srtKey=lastCompletedBackupDate&srtDir=asc"
    for username in ROLES:
        owner = User.objects.get(username=username)
        view = SavedView.objects.create(
            owner=owner, name=f"Failing, as {username}", report="backup-status", query=query
        )
        subscription = Subscription.objects.create(view=view, created_by=owner)
        subscription.recipients.set([owner])
    shared = SavedView.objects.create(
        owner=User.objects.get(username="root"),
        name="Cold storage, shared",
        report="cold-storage",
        query="",
    )
    shared.shared_roles.set(Group.objects.filter(name__in=ROLE_GROUPS.values()))
    return showcase


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
def test_every_page_has_no_serious_violation(
    sized, axe_source, views_and_subscriptions, username, size
):
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


@pytest.mark.parametrize("size", AXE_SIZES)
def test_the_save_and_subscribe_forms_with_errors_have_no_serious_violation(
    sized, axe_source, views_and_subscriptions, size
):
    """As they come back from the server: the browser's own checks are switched off, so
    that a name already taken and an hour past 23 reach the form's."""
    from accounts.models import User

    sized.sign_in("root")
    resize(sized, size)
    pages = saved_view_pages(User.objects.get(username="root"))
    found = {}
    for page, form, wrong in (
        ("save-view", "#save-view", {"#id_name": "Failing, as root"}),
        ("subscribe", "#subscribe", {"#id_hour": "99"}),
    ):
        sized.open(pages[page])
        for field, text in wrong.items():
            sized.find(field).clear()
            sized.find(field).send_keys(text)
        sized.driver.execute_script("document.querySelector(arguments[0]).noValidate = true", form)
        sized.click(f"{form} button[type=submit]")
        assert sized.find_all(".field-error, .alert-error"), page  # the form said what is wrong
        found[page] = serious_violations(sized, axe_source)
    assert found == {"save-view": [], "subscribe": []}


def test_no_page_is_wider_than_a_360_px_phone(sized, views_and_subscriptions):
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
