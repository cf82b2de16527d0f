"""Uploading the vendor's files in headless Chromium: the preview, confirmation, the
progress bar while the worker imports, the result; a bad file's errors; and that
nobody but a system administrator gets there.

The worker is the job engine's own loop, run in a thread against the live server's
database: on SQLite that database lives in this process's memory, so the thread uses
the very connection the live server's threads share (as they do with the test); on
PostgreSQL it opens its own.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from reports.models import Device
from reports.refresh import progress as progress_module
from reports.refresh.models import Upload
from tests.browser.conftest import WAIT_SECONDS
from tests.refresh_support import (
    canned_vendor,
    csv_text,
    export_as_root,
    rows_of,
    run_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


class WorkerThread:
    """Runs the queued jobs in a thread, as `manage.py db_worker --batch` would; can hold
    a job at one stage, so that the page can be seen while it works."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.failures: list[BaseException] = []
        self.at_stage = threading.Event()
        self.go_on = threading.Event()
        self.go_on.set()

    def hold_at(self, stage: str, monkeypatch) -> None:
        self.go_on.clear()
        stage_of = progress_module.Progress.stage
        worker = self

        def holding(progress, name: str, *args, **kwargs) -> None:
            stage_of(progress, name, *args, **kwargs)
            if name == stage and not worker.go_on.is_set():
                worker.at_stage.set()
                assert worker.go_on.wait(WAIT_SECONDS * 3), "never let go on"

        monkeypatch.setattr(progress_module.Progress, "stage", holding)

    def release(self) -> None:
        self.go_on.set()

    def start(self) -> None:
        shared = {
            c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()
        }

        for connection in shared.values():
            connection.inc_thread_sharing()

        def work() -> None:
            for alias, connection in shared.items():
                connections[alias] = connection
            try:
                run_worker("browser-test")
            except BaseException as failure:  # reported by join()
                self.failures.append(failure)
            finally:
                for connection in shared.values():
                    connection.dec_thread_sharing()
                if not shared:
                    connections.close_all()

        self.thread = threading.Thread(target=work, daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(timeout=WAIT_SECONDS * 3)
        assert not self.thread.is_alive(), "the worker did not finish"
        assert not self.failures, self.failures


@pytest.fixture
def worker():
    running = WorkerThread()
    yield running
    running.release()
    if running.thread is not None:
        running.join()


def wait_for(browser, css: str):
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser.driver, WAIT_SECONDS).until(lambda driver: browser.find_all(css))
    return browser.find(css)


@pytest.fixture
def export_file(fleet, tmp_path):
    """The fleet's export after a change at the vendor: DAVE-WIN renamed, ERIN-NEW gone."""
    columns, rows = rows_of(export_as_root())
    rows = [row for row in rows if row["deviceName"] != "ERIN-NEW"]
    for row in rows:
        if row["deviceName"] == "DAVE-WIN":
            row["deviceName"] = "DAVE-WIN-RENAMED"
    path = tmp_path / "DeviceBackupReport.csv"
    path.write_text(csv_text(columns, rows), encoding="utf-8")
    return path


def test_a_system_administrator_uploads_previews_confirms_and_sees_the_result(
    browser, export_file, worker, monkeypatch
):
    browser.sign_in("root")
    browser.click_link("Data")
    assert browser.find("h1").text == "Data"
    browser.screenshot("data")

    browser.find("#id_report").send_keys(str(export_file))
    assert browser.find("#id_mirror").is_selected()
    browser.click(".upload-form button[type=submit]")
    assert browser.path.startswith("/data/uploads/")
    assert "Waiting for the worker" in wait_for(browser, ".job-label").text

    worker.start()  # checks every row; the page reloads by itself once it is done
    worker.join()
    preview = wait_for(browser, "#preview")
    assert "Nothing has changed yet" in preview.text
    counts = {
        cell.get_attribute("data-count"): cell.text for cell in browser.find_all("[data-count]")
    }
    assert counts["removed"] == "1"  # ERIN-NEW
    assert int(counts["updated"]) >= 1  # DAVE-WIN's new name
    # One device of the eight here is more than MIRROR_REMOVAL_LIMIT_PERCENT (10%): said
    # in red, and the import needs a second box, naming the numbers, ticked.
    warning = browser.find("#mass-removal")
    assert "This removes 1 of 8 devices" in warning.text
    assert (
        browser.driver.execute_script(
            "return getComputedStyle(arguments[0]).backgroundColor", warning
        )
        == "rgb(253, 230, 227)"
    )  # --critical-soft
    box = browser.find("#confirm-removal")
    assert browser.find('label[for="confirm-removal"]').text == "Remove 1 of 8 devices (12.5%)"
    assert not box.is_selected()
    browser.screenshot("upload-preview")
    browser.find("#confirm").click()  # the page asks for the box first: nothing is sent
    assert browser.driver.execute_script("return arguments[0].matches(':invalid')", box)
    assert browser.find("#preview") and Upload.objects.get().state == Upload.State.READY

    worker.hold_at("write", monkeypatch)
    box.click()
    browser.click("#confirm")
    worker.start()
    assert worker.at_stage.wait(WAIT_SECONDS)
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser.driver, WAIT_SECONDS).until(
        lambda driver: browser.find(".job-label").text == "Writing the changes"
    )
    bar = browser.find("progress.job-bar")
    assert 0 < float(bar.get_attribute("value")) < 100
    assert "%" in browser.find(".job-percent").text
    browser.screenshot("upload-progress")

    worker.release()
    worker.join()
    result = wait_for(browser, "#result")
    assert "Imported" in result.text
    assert browser.find("#upload-state").text == "imported"
    browser.screenshot("upload-result")
    upload = Upload.objects.get()
    assert upload.state == Upload.State.APPLIED
    assert upload.run.user.username == "root"
    assert Device.objects.filter(name="DAVE-WIN-RENAMED").exists()
    assert not Device.objects.filter(name="ERIN-NEW").exists()


def test_a_bad_file_shows_every_error_with_line_and_column(browser, fleet, tmp_path, worker):
    columns, rows = rows_of(export_as_root())
    rows[0]["lastCompletedBackupDate"] = "tomorrow-ish"
    rows[2]["archiveBytes"] = "-12 GB"
    path = tmp_path / "broken.csv"
    path.write_text(csv_text(columns, rows), encoding="utf-8")
    browser.sign_in("root")
    browser.open("/data/")

    browser.find("#id_report").send_keys(str(path))
    browser.click(".upload-form button[type=submit]")
    worker.start()
    worker.join()

    errors = wait_for(browser, "#errors")
    assert "2 errors: the files were refused, nothing was changed" in errors.text
    cells = [
        [cell.text for cell in row.find_elements("css selector", "td")]
        for row in browser.find_all("#errors tbody tr")
    ]
    assert [cell[:3] for cell in cells] == [
        ["broken.csv", "2", "lastCompletedBackupDate"],
        ["broken.csv", "4", "archiveBytes"],
    ]
    assert not browser.find_all("#confirm")
    browser.screenshot("upload-errors")


def test_a_file_that_is_not_csv_is_refused_on_the_spot(browser, fleet, tmp_path):
    path = tmp_path / "export.html"
    path.write_text("<!doctype html><title>Sign in</title>\n", encoding="utf-8")
    browser.sign_in("root")
    browser.open("/data/")

    browser.find("#id_report").send_keys(str(path))
    browser.click(".upload-form button[type=submit]")

    assert browser.path == "/data/uploads/"
    assert (
        "is not the vendor's DeviceBackupReport CSV export" in browser.find("#upload-errors").text
    )
    assert not Upload.objects.exists()


@pytest.mark.parametrize("name", ["dave", "alice"])
def test_a_desktop_user_or_org_manager_cannot_reach_it(browser, fleet, name):
    browser.sign_in(name)
    assert browser.finds_no_page("/data/")
    assert not browser.find_all("#id_report")


def test_sync_now_shows_the_sync_to_its_outcome(browser, fleet, worker, settings, tmp_path):
    settings.MIRROR_REMOVAL_LIMIT_PERCENT = 100  # its two devices replace the eight here
    with canned_vendor(settings, tmp_path) as source:
        browser.sign_in("root")
        browser.open("/data/")
        assert source.url in browser.find("#sync").text

        browser.click("#sync-now")
        assert browser.path.startswith("/data/sync/")
        assert "Waiting for the worker" in wait_for(browser, ".job-label").text
        worker.start()
        worker.join()

        result = wait_for(browser, "#result")
        assert "devices: 2 created" in result.text
        assert browser.find("#sync-state").text == "succeeded"
        browser.screenshot("sync-now-result")
