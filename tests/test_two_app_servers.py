"""Two app servers (gunicorn processes) on one PostgreSQL and one Redis give the same
answers, and a write through one is never answered stale by the other, cached counts
included (Redis at 127.0.0.1:6379, as .ci/run starts it)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from reports.models import Destination
from tests.api_support import API, PASSWORD
from tests.database_support import database_url
from tests.port_support import free_port
from tests.redis_support import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="one PostgreSQL, two servers"),
    pytest.mark.django_db(transaction=True),
]


@contextmanager
def app_servers(count: int):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")} | {
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        # The suite's own key: API clients' secrets are digested with it (made here).
        "SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "1",
    }
    servers = []
    try:
        for _ in range(count):
            port = free_port()
            process = subprocess.Popen(
                [
                    str(ROOT / ".venv" / "bin" / "gunicorn"),
                    "backupreport.wsgi",
                    "--workers=2",
                    f"--bind=127.0.0.1:{port}",
                    "--log-level=warning",
                ],
                cwd=ROOT,
                env=environment,
                start_new_session=True,
            )
            servers.append((process, f"http://127.0.0.1:{port}"))
        for process, base in servers:
            for _ in range(300):
                try:
                    requests.get(base + "/accounts/login/", timeout=10)
                    break
                except requests.RequestException:
                    assert process.poll() is None, "gunicorn did not start"
                    time.sleep(0.1)
        yield [base for _, base in servers]
    finally:
        for process, _ in servers:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def api(base: str, user: str, **params) -> dict:
    response = requests.get(base + API, params=params, auth=(user, PASSWORD), timeout=30)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def page_etag(base: str, user: str) -> str:
    response = requests.get(base + API, auth=(user, PASSWORD), timeout=30)
    assert response.status_code == 200, response.text[:500]
    unchanged = requests.get(
        base + API,
        auth=(user, PASSWORD),
        headers={"If-None-Match": response.headers["ETag"]},
        timeout=30,
    )
    assert unchanged.status_code == 304
    return response.headers["ETag"]


def rename_destination_through_the_admin(base: str, destination: Destination, name: str):
    """A staff member's edit, made on this server: sign in, open the form, save it."""
    session = requests.Session()
    login = base + "/admin/login/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(login).text)
    response = session.post(
        login,
        data={
            "csrfmiddlewaretoken": token.group(1),
            "username": "super",
            "password": PASSWORD,
            "next": "/admin/",
        },
        headers={"Referer": login},
    )
    assert response.ok and "/admin/login/" not in response.url, response.text[:500]
    change = f"{base}/admin/reports/destination/{destination.pk}/change/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(change).text)
    response = session.post(
        change,
        data={
            "csrfmiddlewaretoken": token.group(1),
            "destination_uid": destination.destination_uid,
            "name": name,
            "type": destination.type,
            "_save": "Save",
        },
        headers={"Referer": change},
    )
    assert response.ok, response.text[:500]
    assert Destination.objects.get(pk=destination.pk).name == name


def servers_can_check_passwords(users) -> None:
    """The suite hashes with MD5 for speed, which the servers do not accept: store the
    passwords with the servers' hasher (few iterations: the servers read them from the
    hash)."""
    hasher = PBKDF2PasswordHasher()
    for user in users:
        user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
        user.save(update_fields=["password"])


def test_same_answers_and_no_stale_answer_after_a_write_through_the_other(personas, redis_url):
    servers_can_check_passwords(personas[name] for name in ("sysadmin", "alice", "carol", "super"))
    # A test database starts its generations anew: figures another run cached under the
    # same numbers must not answer for this one.
    redis.Redis.from_url(REDIS_URL).flushdb()
    destination = Destination.objects.get()
    with app_servers(2) as (first, second):
        for user, params in [("sysadmin", {}), ("alice", {}), ("carol", {"pgSize": "1"})]:
            answers = [api(base, user, **params) for base in (first, second)]
            assert answers[0]["data"] == answers[1]["data"]
            assert answers[0]["metadata"]["totalCount"] == answers[1]["metadata"]["totalCount"]
        # The count of a search that matches nothing yet, cached in Redis by both.
        for base in (first, second):
            assert api(base, "sysadmin", destination="moved vault")["metadata"]["totalCount"] == 0
        # The first pages, kept by both (reports.api.page_cache), asked twice.
        for base in (first, second, first, second):
            names = {row["destinationName"] for row in api(base, "sysadmin")["data"]}
            assert names == {destination.name}
        etag = page_etag(first, "alice")
        assert page_etag(second, "alice") == etag
        rename_destination_through_the_admin(first, destination, "Moved Vault")
        for base in (second, first):
            answer = api(base, "sysadmin", destination="moved vault")
            assert answer["metadata"]["totalCount"] == 5
            assert {row["destinationName"] for row in answer["data"]} == {"Moved Vault"}
            names = {row["destinationName"] for row in api(base, "sysadmin")["data"]}
            assert names == {"Moved Vault"}
            # The ETag of the page before the write is no longer this page's.
            response = requests.get(
                base + API, auth=("alice", PASSWORD), headers={"If-None-Match": etag}, timeout=30
            )
            assert response.status_code == 200 and response.headers["ETag"] != etag


def revoke_through_the_admin(base: str, api_client) -> None:
    """A system administrator's revocation, made on this server: the changelist action."""
    session = requests.Session()
    login = base + "/admin/login/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(login).text)
    session.post(
        login,
        data={"csrfmiddlewaretoken": token.group(1), "username": "super", "password": PASSWORD},
        headers={"Referer": login},
    )
    changelist = base + "/admin/accounts/apiclient/"
    page = session.get(changelist)
    assert page.ok and "/admin/login/" not in page.url, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    response = session.post(
        changelist,
        data={
            "csrfmiddlewaretoken": token.group(1),
            "action": "revoke",
            "_selected_action": str(api_client.pk),
        },
        headers={"Referer": changelist},
    )
    assert response.ok, response.text[:500]


def test_a_caller_kept_by_both_is_refused_by_both_after_a_change_through_either(
    personas, redis_url
):
    from accounts.api_clients import ApiClient
    from accounts.models import User

    servers_can_check_passwords(personas[name] for name in ("alice", "super"))
    api_client, secret = ApiClient.objects.create_for(personas["dave"], "nightly export")

    def status(base: str, username: str, password: str) -> int:
        return requests.get(base + API, auth=(username, password), timeout=30).status_code

    with app_servers(2) as (first, second):
        # Each server has two workers: four requests each, so that every worker keeps both.
        for base in (first, second) * 4:
            assert status(base, "alice", PASSWORD) == 200
            assert status(base, api_client.client_id, secret) == 200
        revoke_through_the_admin(first, api_client)
        for base in (second, first) * 4:
            assert status(base, api_client.client_id, secret) == 401
            assert status(base, "alice", PASSWORD) == 200
        # A write by someone else entirely (here the test, as a sync would): the same.
        User.objects.filter(pk=personas["alice"].pk).update(is_active=False)
        # Refused: 401, and 429 once the refusals (the client's too) lock the address.
        for base in (second, first) * 4:
            assert status(base, "alice", PASSWORD) in (401, 429)
