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
