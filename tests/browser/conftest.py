"""Headless Chromium against pytest-django's live server.

Needs Debian's chromium and chromium-driver. Without them the browser tests skip, or
fail when the CI environment variable is set, so that CI cannot pass them by accident.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest

from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory, refreshing_once
from tests.personas import PASSWORD, ago

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
WINDOW = (1280, 800)
# Issue 27's desktop and phone, and the narrowest phone the pages are laid out for.
SIZES = {"desktop": (1440, 900), "phone": (390, 844), "narrow": (360, 740)}
WAIT_SECONDS = 10


def _browser_missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        return (
            f"Chromium is missing ({', '.join(missing)}); to run the browser tests: "
            "apt-get install chromium chromium-driver"
        )
    return None


@pytest.fixture(scope="session")
def chromium(tmp_path_factory, live_server):
    # Asking for the live server first makes it outlive the browser: Chromium's
    # keep-alive connections close before the server stops sharing the test database
    # with its request threads, which would otherwise fail closing it.
    reason = _browser_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(argument)
    # The console, where Chromium reports what the Content-Security-Policy refused.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(*WINDOW)
    # The window's frame eats into its size even headless: pin the page's viewport.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False},
    )
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def _gone(element) -> bool:
    """Whether the element's page has been replaced. Newer chromedrivers answer a
    replaced node with an inspector error ("Node with given id does not belong to the
    document") rather than a stale-element error: both mean the page is gone."""
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException is one
        return True
    return False


class Browser:
    """The few gestures the tests make, in the words of the page."""

    def __init__(self, driver, base_url: str):
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    @property
    def html(self) -> str:
        return self.driver.page_source

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def _navigating(self, element) -> None:
        """Click what leads to another page and wait until that page is there."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, WAIT_SECONDS).until(lambda driver: _gone(page))
        WebDriverWait(self.driver, WAIT_SECONDS).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )

    def click(self, css: str) -> None:
        self._navigating(self.find(css))

    def click_link(self, text: str) -> None:
        from selenium.webdriver.common.by import By

        self._navigating(self.driver.find_element(By.LINK_TEXT, text))

    def sign_in(self, username: str) -> None:
        self.open("/accounts/login/")
        self.find("#id_username").send_keys(username)
        self.find("#id_password").send_keys(PASSWORD)
        self.click("form.stacked button[type=submit]")
        assert self.path == "/", self.path

    def sign_out(self) -> None:
        self.click(".session button[type=submit]")
        assert self.path.startswith("/accounts/login/")

    def finds_no_page(self, path: str) -> bool:
        """Neither in the menu nor at its address: a page the role does not have."""
        if self.find_all(f'#menu a[href="{path}"]'):
            return False
        self.open(path)
        return self.find("h1").text == "Not found"

    def device_names(self) -> list[str]:
        return [a.text for a in self.find_all(".report-table td:first-child > a")]

    def csp_violations(self) -> list[str]:
        """What the Content-Security-Policy refused since the last call, from the console."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if "Content Security Policy" in entry["message"]
        ]

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def download(self, link_text: str) -> str:
        """Click a download link; the text of the file it saved."""
        folder: Path = self.driver.downloads
        from selenium.webdriver.common.by import By

        for old in folder.iterdir():
            old.unlink()
        self.driver.find_element(By.LINK_TEXT, link_text).click()  # a download: no new page
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            files = list(folder.iterdir())
            done = [f for f in files if f.suffix == ".csv"]
            # Chromium reserves the file's name, empty, as the download begins and
            # writes beside it (.crdownload) until it ends: read only then (a slow
            # export under load was read empty, CI 2026-12-06).
            if done and not any(f.suffix == ".crdownload" for f in files):
                return done[0].read_text(encoding="utf-8")
            time.sleep(0.1)
        raise AssertionError(f"no download in {folder}: {list(folder.iterdir())}")


class _OneAtATime:
    """A WSGI app answering one request at a time, its body included: on SQLite in
    memory the live server's threads share the test's one connection, and a page's
    request beside the org picker's suggestions (a keystroke just before a submit)
    stopped both inside SQLite for good, the whole run with them (2026-12-06). Django's
    docs warn against simultaneous queries over that shared connection."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        self.lock.acquire()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self.lock.release()
            raise
        return _ReleasedWhenClosed(body, self.lock)


class _ReleasedWhenClosed:
    """The body of a response, the lock released once the server has sent it."""

    def __init__(self, body, lock):
        self.body, self.lock = body, lock

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.lock.release()


@pytest.fixture
def one_request_at_a_time(live_server):
    from django.db import connection

    httpd = live_server.thread.httpd
    app = httpd.get_app()
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        httpd.set_app(_OneAtATime(app))
    yield
    httpd.set_app(app)


@pytest.fixture
def browser(chromium, live_server, one_request_at_a_time):
    """A clean browser; after the test, no page it visited broke the
    Content-Security-Policy (only the product's own files, nothing inline)."""
    chromium.delete_all_cookies()
    browser = Browser(chromium, live_server.url)
    browser.csp_violations()  # an earlier test's
    yield browser
    assert browser.csp_violations() == []


@pytest.fixture
@refreshing_once
def showcase(fleet, orgs):
    """A few dozen more devices of every kind, so that screenshots look like a fleet."""
    rng = random.Random(42)
    teams = [
        OrgFactory(org_uid=f"org-team-{n}", name=name, ext_ref=f"CC-{400 + n}", parent=parent)
        for n, (name, parent) in enumerate(
            [
                ("Payroll", orgs["accounting"]),
                ("Field Sales", orgs["sales"]),
                ("Platform", orgs["engineering"]),
                ("Design", orgs["americas"]),
            ]
        )
    ]
    first_names = ["Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines"]
    for n in range(36):
        owner = UserFactory(
            username=f"{first_names[n % 9].lower()}{n}",
            first_name=first_names[n % 9],
            last_name=rng.choice(["Nguyen", "Schmidt", "Okafor", "Lindqvist", "Rossi"]),
            org=teams[n % 4],
        )
        os_name = rng.choice(["mac", "mac", "win", "win", "win", "linux"])
        device = DeviceFactory(
            user=owner,
            name=f"{owner.first_name.upper()[:4]}-{os_name.upper()}-{n:02d}",
            os=os_name,
            os_version={"mac": "14.6", "win": "10.0.22631", "linux": "6.8"}[os_name],
            last_connected_date=ago(hours=rng.choice([1, 3, 30, 80, 200, 700])),
            alert_states=rng.choice(
                [
                    "OK",
                    "OK",
                    "OK",
                    "WarningBackupAlert",
                    "CriticalBackupAlert CriticalConnectionAlert",
                ]
            ),
        )
        if n % 9 == 8:
            continue  # never backed up
        cold = n % 7 == 3
        ArchiveFactory(
            device=device,
            selected_bytes=rng.randint(5, 900) * 1024**3,
            archive_bytes=rng.randint(3, 700) * 1024**3,
            backup_complete_percentage=rng.choice([100.0, 100.0, 100.0, 87.5, 42.0, 99.9]),
            last_completed_backup_date=ago(hours=rng.choice([2, 20, 60, 100, 200, 900])),
            cold_storage=cold,
            cold_storage_expire_date=ago(days=-rng.randint(5, 300)) if cold else None,
        )
    return fleet


def resize(browser, size: str) -> None:
    width, height = SIZES[size]
    browser.driver.set_window_size(width, height)
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 720},
    )


@pytest.fixture
def sized(browser):
    """The browser; put back at the suite's usual window size afterwards."""
    yield browser
    browser.driver.set_window_size(*WINDOW)
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False},
    )


AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        reason = f"axe-core is missing ({AXE}); run: npm ci --prefix tests/a11y"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE.read_text(encoding="utf-8")


SERIOUS = {"serious", "critical"}
# The conformance target, WCAG 2.0 and 2.1 at levels A and AA, and axe's best practices.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


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
