"""Chromium enforces the Content-Security-Policy, and the browser fixture sees what it
refuses (tests/browser/conftest.py checks every test's pages for it)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_chromium_refuses_what_is_not_the_product_s_and_the_tests_see_it(browser, fleet):
    browser.sign_in("root")
    assert browser.csp_violations() == []
    browser.driver.execute_script(
        "document.body.insertAdjacentHTML('beforeend',"
        " '<img src=\"https://cdn.example.com/pixel.png\">');"
        "const style = document.createElement('style');"
        "style.textContent = 'body { color: red }';"
        "document.head.appendChild(style);"
    )
    browser.open("/")  # the console's entries are read once the page has settled
    violations = browser.csp_violations()
    assert any("cdn.example.com" in message for message in violations), violations
    assert any("style" in message for message in violations), violations
