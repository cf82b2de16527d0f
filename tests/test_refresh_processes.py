"""`make run` starts everything with one command: the web server and the worker, each in
a process of its own, here on an SQLite file of their own. An upload goes through both,
over real HTTP, and the web keeps answering while the worker imports; Ctrl-C stops
both."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from reports.demo.logins import DEMO_PASSWORD
from tests.import_support import write_csv
from tests.migrated_sqlite_support import sqlite_environment
from tests.port_support import free_port
from tests.test_import_backup_report import vendor_row

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

DEMO_DEVICES = 20
ROWS = 2000  # enough for the import to take a few seconds on the worker
START_SECONDS = 120
# A page may wait for the worker's commit at most this long (it is measured in tenths).
RESPONSIVE_SECONDS = 5.0


def _sigint_as_usual() -> None:
    # The suite may run with SIGINT ignored (a background job of a shell), which child
    # processes inherit; a terminal's Ctrl-C reaches make run with it in place.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Instance:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "make-run.log"
        # Its own SQLite file, whatever the suite runs on.
        env = sqlite_environment(folder / "run.sqlite3") | {
            "UPLOAD_DIR": str(folder / "uploads"),
            # Collected apart: the suite's other workers serve the checkout's own.
            "STATIC_ROOT": str(folder / "static"),
            "DJANGO_DEBUG": "1",
            "LOG_LEVEL": "ERROR",
        }
        self.process = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "run",
                f"PORT={self.port}",
                f"DEMO_DEVICES={DEMO_DEVICES}",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_sigint_as_usual,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                requests.get(self.url + "/accounts/login/", timeout=2)
                return
            except (requests.ConnectionError, requests.Timeout):  # not up, or slow to start
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("make run did not start:\n" + self.log) from None
                time.sleep(0.2)

    def interrupt(self) -> int:
        """Ctrl-C, as a terminal sends it to make run and everything it started."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=30)

    def terminate(self) -> int:
        """SIGTERM to make alone, as a container's stop or `timeout make run` sends it."""
        self.process.terminate()
        return self.process.wait(timeout=30)

    def left_running(self) -> bool:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return False
            time.sleep(0.2)
        return True

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def instance(tmp_path):
    running = Instance(tmp_path)
    try:
        running.wait_until_up()
        yield running
    finally:
        running.kill()  # only if a test failed before interrupting it


def signed_in(url: str) -> requests.Session:
    session = requests.Session()
    session.get(url + "/accounts/login/", timeout=10)
    response = session.post(
        url + "/accounts/login/",
        data={
            "username": "demo-admin",
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=10,
    )
    assert response.url == url + "/", response.url
    return session


def post(session: requests.Session, url: str, **kwargs) -> requests.Response:
    data = kwargs.pop("data", {}) | {"csrfmiddlewaretoken": session.cookies["csrftoken"]}
    return session.post(url, data=data, allow_redirects=False, timeout=60, **kwargs)


def follow(session: requests.Session, status_url: str, while_waiting=None) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = session.get(status_url, timeout=10).json()
        if status["finished"]:
            return status
        if while_waiting:
            while_waiting(status)
        time.sleep(0.2)
    raise AssertionError(f"the job did not finish: {status}")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def active_devices(session: requests.Session, url: str) -> int:
    overview = text_of(session.get(url + "/", timeout=10).text)
    return int(re.search(r"([\d,]+) active devices? you can see", overview)[1].replace(",", ""))


def test_make_run_serves_the_web_and_runs_the_worker(instance, tmp_path):
    session = signed_in(instance.url)
    report = write_csv(
        tmp_path / "DeviceBackupReport.csv", [vendor_row(n) for n in range(1, ROWS + 1)]
    )

    response = post(
        session,
        instance.url + "/data/uploads/",
        files={"report": ("DeviceBackupReport.csv", report.read_bytes(), "text/csv")},
        data={"mirror": ""},  # the demo fleet stays; the file adds to it
    )
    assert response.status_code == 302, response.text
    page_url = instance.url + response.headers["Location"]
    assert follow(session, page_url + "status")["state"] == "ready"
    preview = text_of(session.get(page_url, timeout=10).text)
    assert f"{ROWS:,} rows read, every one checked. Nothing has changed yet." in preview

    active_before = active_devices(session, instance.url)
    assert post(session, page_url + "apply").status_code == 302
    answers: list[float] = []
    percents: list[float] = []

    def probe(status: dict) -> None:
        # While the worker imports, the overview (which reads the report table) answers.
        started = time.monotonic()
        overview = session.get(instance.url + "/", timeout=30)
        answers.append(time.monotonic() - started)
        assert overview.status_code == 200
        percents.append(status["progress"]["percent"])

    assert follow(session, page_url + "status", while_waiting=probe)["state"] == "applied"

    assert answers, "the import ended before the web was asked anything"
    assert max(answers) < RESPONSIVE_SECONDS, answers
    assert percents == sorted(percents)
    result = text_of(session.get(page_url, timeout=10).text)
    assert f"Imported {ROWS:,} rows" in result
    assert active_devices(session, instance.url) == active_before + ROWS
    # The run log, as the Data page shows it.
    data = text_of(session.get(instance.url + "/data/", timeout=10).text)
    assert "import · upload in the browser demo-admin succeeded" in data

    instance.interrupt()
    assert not instance.left_running(), "Ctrl-C left the web server or the worker running"
    # The worker's own Ctrl-C, or the recipe's SIGTERM on its way out, whichever it
    # reads first: either way it finishes its job.
    assert re.search(r"Received (Interrupt|Terminated) - shutting down gracefully", instance.log)


def test_a_sigterm_to_make_run_stops_the_web_and_the_worker(instance):
    """Sent to make alone, it reached the recipe's shell, which runs no trap while its
    command in the foreground (the web server) runs: both kept serving, and a container
    stop hung until its SIGKILL orphaned them (found by an audit)."""
    assert requests.get(instance.url + "/accounts/login/", timeout=10).status_code == 200
    instance.terminate()
    assert not instance.left_running(), "SIGTERM left the web server or the worker running"
    with pytest.raises(requests.ConnectionError):
        requests.get(instance.url + "/accounts/login/", timeout=5)
