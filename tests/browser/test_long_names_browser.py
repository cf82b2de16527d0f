"""Long names on a phone (360 px): a device's name or a person's address that has no
space to break at wraps inside the page instead of widening it, so the whole page never
scrolls sideways (found by an audit of the pages: a 70-character device name in the
overview's and the device page's headings, a long email address in the notifications
page's lead and the subscribe form's hint, each scrolled its page sideways)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import resize
from tests.factories import ArchiveFactory, DeviceFactory, refreshing_once

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_DEVICE = "LAPTOP-" + "X" * 64 + "-😀"
LONG_EMAIL = "dave.dunn.with.a.long.mailbox.name.at.head.office@accounting-emea.example.com"
WIDER_THAN_THE_WINDOW = (
    "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
)


@pytest.fixture
@refreshing_once
def long_names(fleet):
    from accounts.models import User
    from reports.dashboards.saved.models import SavedView

    dave = User.objects.get(username="dave")
    dave.email = LONG_EMAIL
    dave.save()
    device = DeviceFactory(user=dave, name=LONG_DEVICE)
    ArchiveFactory(device=device)
    view = SavedView.objects.create(owner=dave, name="Mine", report="backup-status", query="")
    return device, view


def test_a_long_name_does_not_widen_the_page(sized, long_names):
    sized.sign_in("dave")
    resize(sized, "narrow")
    device, view = long_names
    pages = (
        "/",
        f"/devices/{device.device_uid}/",
        "/notifications/",
        f"/notifications/subscriptions/new/{view.pk}/",
    )
    for page in pages:
        sized.open(page)
        assert LONG_DEVICE in sized.html or LONG_EMAIL in sized.html, page
        page_width, window_width = sized.driver.execute_script(WIDER_THAN_THE_WINDOW)
        assert page_width <= window_width, page


LONG_USERNAME = "root.with.a.rather.long.sign.in.name.at.the.head.office@acmeholdings.example.com"


@pytest.fixture
@refreshing_once
def long_username(fleet):
    """A system administrator whose username is an email address, as single sign-on
    makes them (every menu item and the widest pages), with a device."""
    from django.contrib.auth.models import Group

    from accounts.models import Org
    from accounts.roles import SYSTEM_ADMINISTRATORS
    from tests.factories import UserFactory

    person = UserFactory(username=LONG_USERNAME, org=Org.objects.get(org_uid="org-acme"))
    person.groups.add(Group.objects.get_or_create(name=SYSTEM_ADMINISTRATORS)[0])
    ArchiveFactory(device=DeviceFactory(user=person))
    return person


def test_a_long_username_does_not_push_sign_out_off_a_phone(sized, long_username):
    sized.sign_in(LONG_USERNAME)
    resize(sized, "narrow")
    for page in ("/", "/audit/", "/data/"):
        sized.open(page)
        page_width, window_width = sized.driver.execute_script(WIDER_THAN_THE_WINDOW)
        assert page_width <= window_width, page
        sign_out = sized.find(".session button").rect
        assert sign_out["x"] + sign_out["width"] <= window_width, page


def test_what_was_asked_for_wraps_where_it_is_quoted(sized, long_username):
    """The address of a person searched for or filtered on, quoted back: in the filter's
    chip, in what the save form says it saves, in the notice of an empty list and in
    the error naming a parameter."""
    from urllib.parse import quote, urlencode

    sized.sign_in("root")
    resize(sized, "narrow")
    report = "/reports/backup-status/?"
    searched = report + urlencode({"active": "true", "user": LONG_USERNAME})
    pages = (
        report + urlencode({"active": "true", "userUid": long_username.user_uid}),
        "/views/save/?from=" + quote(searched),
        report + urlencode({"active": "true", "orgTree": LONG_USERNAME}),
        report + urlencode({"active": "true", "pgNum": LONG_USERNAME}),
    )
    for page in pages:
        sized.open(page)
        assert LONG_USERNAME in sized.html, page
        page_width, window_width = sized.driver.execute_script(WIDER_THAN_THE_WINDOW)
        assert page_width <= window_width, page


def test_an_error_quoting_a_long_username_wraps_beside_its_field(sized, long_username):
    sized.sign_in("root")
    resize(sized, "narrow")
    sized.open("/views/save/?from=" + "/reports/backup-status/%3Factive%3Dtrue")
    sized.find("#id_name").send_keys("Active")
    sized.find("#id_shared_usernames").send_keys("no." + LONG_USERNAME)
    sized.find("#id_shared_usernames").submit()
    error = sized.find(".field:has(#id_shared_usernames) .field-error")
    assert "no." + LONG_USERNAME in error.text
    page_width, window_width = sized.driver.execute_script(WIDER_THAN_THE_WINDOW)
    assert page_width <= window_width
