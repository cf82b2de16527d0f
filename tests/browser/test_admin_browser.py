"""The admin's user list as a superuser sees it, in headless Chromium, as a screenshot
in artifacts/screenshots/ (issue 27: the admin in the product's look)."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_superuser_sees_the_user_list(browser, showcase):
    UserFactory(username="admin", is_superuser=True, is_staff=True, org=None)
    browser.sign_in("admin")
    browser.open("/admin/accounts/user/")
    names = [th.text for th in browser.find_all("#result_list thead th")]
    assert "Role" in names and "User UID" in names and "USERUID" not in names, names
    assert "Org manager" in browser.find("#result_list").text
    # Taken on the unchanged code (2a077a9) as ux-before-admin-users.png.
    browser.screenshot("ux-after-admin-users")
