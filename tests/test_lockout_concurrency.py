"""Brute force at once (issue 23): forty wrong passwords sent together get no more
password checks than LOGIN_FAILURE_LIMIT, on runserver and on gunicorn (2 workers x 2
threads), on the database the suite runs on (its own SQLite file, or the PostgreSQL
test database), through the login page, HTTP Basic and both token endpoints. Then the
right password is refused too.

Each server runs in a process of its own, with the product's real password hasher."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.api_clients import ApiClient
from accounts.models import User
from tests.api_support import API, PASSWORD
from tests.database_support import database_url
from tests.migrated_sqlite_support import sqlite_environment
from tests.port_support import free_port

ROOT = Path(__file__).resolve().parent.parent
LIMIT = settings.AXES_FAILURE_LIMIT
AT_ONCE = 40
# A real password hash takes a while to check (a third of a second at Django's default
# iterations here): while the first checks run, the others arrive. Fewer iterations keep
# the test quick and the window as wide as the lock must cover.
ITERATIONS = 100_000
POSTGRESQL = connection.vendor == "postgresql"
NAMES = ("dave", "sam", "erin")

pytestmark = pytest.mark.django_db(transaction=True)


def hashed(password: str) -> str:
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(password, hasher.salt(), iterations=ITERATIONS)


MAKE_PEOPLE = """
import json
from accounts.models import ApiClient, User
for name in {names!r}:
    User.objects.create(username=name, password={password!r})
client, secret = ApiClient.objects.create_for(User.objects.get(username="dave"), "script")
print(json.dumps([client.client_id, secret]))
"""


class Database:
    """Where the servers keep their data: the PostgreSQL test database, or on SQLite a
    file of their own (an in-memory test database cannot be shared with a process)."""

    def __init__(self, folder: Path, template: Path | None) -> None:
        self.environment = {"PROXY_COUNT": "1", "DJANGO_DEBUG": "1", "LOG_LEVEL": "ERROR"}
        password = hashed(PASSWORD)
        if POSTGRESQL:
            self.environment |= {"DATABASE_URL": database_url(), "SECRET_KEY": settings.SECRET_KEY}
            # As the SQLite servers' people are made below: the hash as it is.
            people = [User.objects.create(username=name, password=password) for name in NAMES]
            client, self.secret = ApiClient.objects.create_for(people[0], "script")
            self.client_id = client.client_id
        else:
            self.path = folder / "lockout.sqlite3"
            shutil.copy(template, self.path)
            self.environment["SQLITE_PATH"] = str(self.path)
            made = self.manage("shell", "-c", MAKE_PEOPLE.format(password=password, names=NAMES))
            self.client_id, self.secret = json.loads(made.strip().splitlines()[-1])

    def env(self) -> dict[str, str]:
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PYTEST") and k not in ("DATABASE_URL", "REDIS_URL", "CACHE_URL")
        }
        return inherited | self.environment

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def failures(self, **where: str) -> int:
        """The failed password checks counted against a username or an address."""
        ((column, value),) = where.items()
        if POSTGRESQL:
            from axes.models import AccessAttempt
            from django.db.models import Sum

            attempts = AccessAttempt.objects.filter(**{column: value})
            return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        with sqlite3.connect(self.path) as sqlite:
            (total,) = sqlite.execute(
                f"SELECT SUM(failures_since_start) FROM axes_accessattempt WHERE {column} = ?",
                (value,),
            ).fetchone()
        return total or 0


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path | None:
    """One migrated SQLite file, copied for each server (migrating takes seconds)."""
    if POSTGRESQL:
        return None
    path = tmp_path_factory.mktemp("lockout") / "template.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=sqlite_environment(path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return path


SERVERS = {
    "runserver": lambda port: [
        sys.executable,
        "manage.py",
        "runserver",
        "--noreload",
        f"127.0.0.1:{port}",
    ],
    "gunicorn": lambda port: [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "backupreport.wsgi",
        "--workers=2",
        "--threads=2",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ],
}


@contextmanager
def serving(kind: str, database: Database, folder: Path):
    port = free_port()
    log = (folder / f"{kind}.log").open("w")
    process = subprocess.Popen(
        SERVERS[kind](port),
        cwd=ROOT,
        env=database.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/accounts/login/", timeout=5)
                break
            # A busy machine: the first page of a fresh server may take longer than 5 s.
            except (requests.ConnectionError, requests.Timeout):
                assert process.poll() is None and time.monotonic() < deadline, (
                    f"{kind} did not start:\n" + (folder / f"{kind}.log").read_text()
                )
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


class Attempt:
    """One sign-in on one surface, from one address, prepared before the burst (the
    login page's CSRF cookie and token) so that the burst itself is only the attempts."""

    def __init__(self, base: str, surface: str, username: str, secret: str, address: str):
        self.base, self.surface, self.username, self.secret = base, surface, username, secret
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = address
        if surface == "login page":
            page = self.session.get(base + "/accounts/login/", timeout=30)
            self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]

    def __call__(self) -> int:
        auth = (self.username, self.secret)
        if self.surface == "login page":
            url = self.base + "/accounts/login/"
            data = {"csrfmiddlewaretoken": self.token, "username": self.username}
            data["password"] = self.secret
            response = self.session.post(
                url, data=data, headers={"Referer": url}, allow_redirects=False, timeout=120
            )
        elif self.surface == "Basic":
            response = self.session.get(self.base + API, auth=auth, timeout=120)
        elif self.surface == "user token":
            response = self.session.get(self.base + "/api/v3/auth/jwt", auth=auth, timeout=120)
        else:  # the client-credentials token
            url = self.base + "/api/v3/oauth/token?grant_type=client_credentials"
            response = self.session.post(url, auth=auth, timeout=120)
        self.session.close()
        return response.status_code


def all_at_once(attempts: list[Attempt]) -> Counter:
    start = threading.Barrier(len(attempts))

    def run(attempt: Attempt) -> int:
        start.wait()
        return attempt()

    with ThreadPoolExecutor(len(attempts)) as pool:
        return Counter(pool.map(run, attempts))


SIGNED_IN = {"login page": 302, "Basic": 200, "user token": 200, "client token": 200}


@pytest.mark.parametrize("kind", list(SERVERS))
def test_forty_wrong_passwords_at_once_get_at_most_the_limit_of_checks(
    kind, tmp_path, migrated_sqlite
):
    database = Database(tmp_path, migrated_sqlite)
    with serving(kind, database, tmp_path) as base:
        right = {"dave": PASSWORD, database.client_id: database.secret}

        # One address, every surface, one username (and an API client's id).
        surfaces = ["login page", "Basic", "user token", "client token"]
        burst = []
        for index in range(AT_ONCE):
            surface = surfaces[index % len(surfaces)]
            name = database.client_id if surface == "client token" else "dave"
            burst.append(Attempt(base, surface, name, f"wrong {index}", "198.51.100.7"))
        answers = all_at_once(burst)
        assert set(answers) <= {200, 401, 429}, answers  # no "database is locked"
        checked = database.failures(ip_address="198.51.100.7")
        assert checked <= LIMIT, (kind, checked, answers)
        assert answers[429] >= AT_ONCE - LIMIT, answers
        for surface in surfaces:
            name = database.client_id if surface == "client token" else "dave"
            right_one = Attempt(base, surface, name, right[name], "198.51.100.7")
            assert right_one() == 429, surface

        # One username, from forty addresses.
        burst = [
            Attempt(base, surfaces[index % 2], "sam", f"wrong {index}", f"203.0.113.{index + 1}")
            for index in range(AT_ONCE)
        ]
        answers = all_at_once(burst)
        assert set(answers) <= {200, 401, 429}, answers
        checked = database.failures(username="sam")
        assert checked <= LIMIT, (kind, checked, answers)
        for surface in ("login page", "Basic", "user token"):
            assert Attempt(base, surface, "sam", PASSWORD, "192.0.2.99")() == 429, surface

        # Someone else, from another address, signs in as ever; more right passwords at
        # once than the limit (an office behind one address) wait their turn, all pass.
        for surface in ("login page", "Basic", "user token"):
            assert Attempt(base, surface, "erin", PASSWORD, "192.0.2.1")() == SIGNED_IN[surface]
        burst = [Attempt(base, "Basic", "erin", PASSWORD, "192.0.2.2") for _ in range(LIMIT + 2)]
        assert all_at_once(burst) == {200: LIMIT + 2}
