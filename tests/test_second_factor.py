"""The second factor (accounts.second_factor): with
TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS on, a system administrator's (or superuser's)
password session waits for a TOTP code; codes are computed here with django-otp's own
RFC 6238 function from the key the enrolment page shows."""

from __future__ import annotations

import base64
import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.caller_memo import caller_memo
from accounts.roles import SYSTEM_ADMINISTRATORS
from tests.api_support import basic
from tests.personas import PASSWORD

POSTGRESQL = connection.vendor == "postgresql"
KEY = re.compile(r'<code class="totp-key">([A-Z2-7]+)</code>')


@pytest.fixture(autouse=True)
def one_step_of_codes():
    """The clock held at the start of a 30-second TOTP step: a code used at enrolment is
    still the current one when its replay is tried, however slow the machine (a test that
    ran on into the next step saw its "replayed" code accepted as a new one)."""
    now = timezone.now().timestamp()
    with time_machine.travel(now - now % 30 + 1, tick=False):
        yield


@pytest.fixture
def required(settings):
    settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS = True


def code(key: bytes, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or that many 30-second steps later)."""
    return f"{totp(key, drift=steps_ahead):06d}"


def sign_in(client, username: str, next_url: str = "/"):
    return client.post(
        f"/accounts/login/?next={next_url}", {"username": username, "password": PASSWORD}
    )


def enrol(client) -> bytes:
    """Follow the sign-in to the enrolment page, scan its key, confirm a code."""
    page = client.get("/accounts/two-factor/enrol/?next=/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<path" in html  # the QR code, drawn in the page
    key = base64.b32decode(KEY.search(html).group(1))
    done = client.post("/accounts/two-factor/enrol/", {"code": code(key), "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    return key


def test_a_system_administrator_enrols_then_passes_a_code_at_each_sign_in(
    client, personas, required
):
    signed = sign_in(client, "sysadmin", "/history/compliance/")
    assert signed["Location"] == "/history/compliance/"
    held = client.get("/history/compliance/")
    assert held.status_code == 302
    assert held["Location"] == "/accounts/two-factor/enrol/?next=%2Fhistory%2Fcompliance%2F"
    key = enrol(client)
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200
    device = TOTPDevice.objects.get(user=personas["sysadmin"])
    assert device.confirmed

    client.post("/accounts/logout/")
    sign_in(client, "sysadmin")
    held = client.get("/")
    assert held["Location"] == "/accounts/two-factor/?next=%2F"
    page = client.get(held["Location"])
    assert b"Enter your code" in page.content
    assert b'aria-label="Reports"' not in page.content  # no menu while signing in
    # The code already used at enrolment is refused (no replay); the next one passes.
    replayed = client.post("/accounts/two-factor/", {"code": code(key), "next": "/"})
    assert b"wrong or was already used" in replayed.content
    assert client.get("/").status_code == 302
    # A wrong code makes the next wait (django-otp's throttling: 1 s, doubling).
    throttled = client.post("/accounts/two-factor/", {"code": code(key, 1), "next": "/"})
    assert b"Too many wrong codes" in throttled.content
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2)):
        passed = client.post("/accounts/two-factor/", {"code": code(key, 1), "next": "/"})
        assert passed.status_code == 302 and passed["Location"] == "/"
        assert client.get("/").status_code == 200


def test_a_wrong_code_does_not_pass(client, personas, required):
    device = TOTPDevice.objects.create(user=personas["super"], name="app", confirmed=True)
    sign_in(client, "super")
    wrong = f"{(int(code(device.bin_key)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/two-factor/", {"code": wrong, "next": "/"})
    assert response.status_code == 200
    assert b"wrong or was already used" in response.content
    assert client.get("/admin/").status_code == 302
    not_digits = client.post("/accounts/two-factor/", {"code": "abcdef", "next": "/"})
    assert b"Enter the 6 digits" in not_digits.content


def test_the_audit_log_tells_the_password_step_from_the_code(client, personas, required):
    """The password step was recorded as a sign-in, and wrong codes not at all
    (2026-12-06): now the password's sign-in says the code is to pass, and each code
    passed or refused is recorded (method totp)."""
    from accounts.audit.models import Event

    device = TOTPDevice.objects.create(user=personas["super"], name="app", confirmed=True)
    sign_in(client, "super")
    wrong = f"{(int(code(device.bin_key)) + 1) % 1_000_000:06d}"
    client.post("/accounts/two-factor/", {"code": wrong, "next": "/"})
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2)):
        passed = client.post("/accounts/two-factor/", {"code": code(device.bin_key), "next": "/"})
    assert passed.status_code == 302
    events = Event.objects.filter(kind__startswith="signin.").order_by("pk")
    assert [(e.kind, e.target, e.details) for e in events] == [
        ("signin.succeeded", "super", {"method": "password", "second_factor": "to pass"}),
        ("signin.failed", "super", {"method": "totp"}),
        ("signin.succeeded", "super", {"method": "totp"}),
    ]


def test_the_audit_log_tells_an_enrolment_from_a_code_passed(client, personas, required):
    """A new authenticator app on a system administrator's account was recorded as any
    code passed (found by an audit)."""
    from accounts.audit.models import Event

    sign_in(client, "sysadmin")
    key = enrol(client)
    client.post("/accounts/logout/")
    sign_in(client, "sysadmin")
    client.post("/accounts/two-factor/", {"code": code(key, 1), "next": "/"})
    events = Event.objects.filter(kind="signin.succeeded", details__method="totp").order_by("pk")
    assert [e.details for e in events] == [
        {"method": "totp", "second_factor": "enrolled"},
        {"method": "totp"},
    ]


def test_what_a_waiting_session_may_open(client, personas, required):
    sign_in(client, "sysadmin")
    for path in ("/", "/admin/", "/data/", "/notifications/"):
        assert client.get(path)["Location"].startswith("/accounts/two-factor/enrol/"), path
    api = client.get("/api/DeviceBackupReport")
    assert api.status_code == 401 and api.json()["error"] == "second factor required"
    for path in ("/accounts/login/", "/accounts/two-factor/enrol/"):
        assert client.get(path).status_code == 200, path
    # Single sign-on's pages and the static files are not held (the page may not exist
    # in this build: a 404, not a redirect to the second factor).
    assert client.get("/sso/oidc/login/").status_code == 404
    assert client.get("/static/reports/app.css").status_code in (200, 404)
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_others_are_not_asked(client, personas, required):
    for name in ("alice", "dave"):
        sign_in(client, name)
        assert client.get("/").status_code == 200, name
        assert client.get("/accounts/two-factor/")["Location"] == "/"
        client.logout()


def test_nobody_is_asked_when_not_required(client, personas):
    sign_in(client, "sysadmin")
    assert client.get("/admin/").status_code == 200
    # Each step sends who has nothing to pass on to the page asked for: the two sent a
    # system administrator to each other, "too many redirects" (an audit of hostile requests).
    for step in ("/accounts/two-factor/", "/accounts/two-factor/enrol/"):
        assert client.get(f"{step}?next=/history/compliance/")["Location"] == "/history/compliance/"
        assert client.get(step, follow=True).redirect_chain == [("/", 302)]


def test_a_session_from_single_sign_on_is_not_asked(client, personas, required, settings):
    # Any backend but the local password one stands for single sign-on's.
    sso_backend = "django.contrib.auth.backends.ModelBackend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, sso_backend]
    client.force_login(personas["sysadmin"], backend=sso_backend)
    assert client.get("/admin/").status_code == 200


def test_basic_refuses_the_password_of_who_must_pass_a_code(client, personas, required, settings):
    for path in ("/api/v3/auth/jwt?useBody=true", "/api/DeviceBackupReport"):
        refused = client.get(path, **basic("sysadmin", PASSWORD))
        assert refused.status_code == 401, path
        assert "second factor (TOTP)" in refused.json()["detail"]
        assert "API client" in refused.json()["detail"]
    # An API client of the same system administrator still works, and others' passwords.
    from accounts.api_clients import ApiClient

    client_row, secret = ApiClient.objects.create_for(personas["sysadmin"], "nightly export")
    by_client = client.get("/api/DeviceBackupReport", **basic(client_row.client_id, secret))
    assert by_client.status_code == 200
    assert client.get("/api/DeviceBackupReport", **basic("alice", PASSWORD)).status_code == 200
    settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS = False
    assert client.get("/api/DeviceBackupReport", **basic("sysadmin", PASSWORD)).status_code == 200


def token_of(client, username: str) -> dict:
    response = client.get("/api/v3/auth/jwt?useBody=true", **basic(username, PASSWORD))
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['data']['v3_user_token']}"}


def test_a_token_from_a_password_is_refused_once_its_holder_must_pass_a_code(
    client, personas, settings
):
    """A password token outlived what refuses the password (found by an audit): a
    desktop user's, kept through a promotion, read every row with a password alone."""
    dave = token_of(client, "dave")
    settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS = True
    assert client.get("/api/DeviceBackupReport", **dave).status_code == 200
    personas["dave"].groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    refused = client.get("/api/DeviceBackupReport", **dave)
    assert refused.status_code == 401
    assert "second factor (TOTP)" in refused.json()["detail"]
    # Likewise a system administrator's token from before the requirement.
    settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS = False
    sysadmin = token_of(client, "sysadmin")
    settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS = True
    caller_memo.forget()  # a setting changes with a restart
    assert client.get("/api/DeviceBackupReport", **sysadmin).status_code == 401
    # A token of an API client carries no password: it stays.
    from accounts.api_clients import ApiClient

    row, secret = ApiClient.objects.create_for(personas["sysadmin"], "nightly export")
    oauth = "/api/v3/oauth/token?grant_type=client_credentials"
    issued = client.post(oauth, **basic(row.client_id, secret))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issued.json()['access_token']}"}
    assert client.get("/api/DeviceBackupReport", **bearer).status_code == 200


def test_a_new_system_administrator_is_asked_from_the_next_request(client, personas, required):
    sign_in(client, "dave")
    assert client.get("/").status_code == 200
    personas["dave"].groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    assert client.get("/")["Location"].startswith("/accounts/two-factor/enrol/")


def test_each_session_is_shown_a_key_of_its_own_to_enrol(client, personas, required):
    """Two password sessions were shown the same key: whoever had the password alone
    knew the secret the owner would confirm later (2026-12-06)."""
    snooper, owner = type(client)(), client
    sign_in(snooper, "sysadmin")
    page = snooper.get("/accounts/two-factor/enrol/?next=/").content.decode()
    seen = KEY.search(page).group(1)
    sign_in(owner, "sysadmin")
    key = enrol(owner)  # the owner's own key, a new one
    assert base64.b32encode(key).decode() != seen
    (device,) = TOTPDevice.objects.filter(user=personas["sysadmin"])
    assert device.confirmed and base64.b32encode(device.bin_key).decode() != seen


AT_ONCE = 8


def sent_at_once(clients, typed: str) -> list:
    """The code posted by every session at the same moment, each on a connection of its
    own (as a server's threads or workers answer them)."""
    barrier = threading.Barrier(len(clients))

    def send(client):
        barrier.wait()
        try:
            return client.post("/accounts/two-factor/", {"code": typed, "next": "/"})
        finally:
            connection.close()

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(send, clients))


def signed_in_sessions(username: str) -> list:
    clients = [Client() for _ in range(AT_ONCE)]
    for client in clients:
        assert sign_in(client, username).status_code == 302
    return clients


@pytest.mark.skipif(not POSTGRESQL, reason="threads on one in-memory SQLite database")
@pytest.mark.django_db(transaction=True)
def test_a_code_sent_at_once_from_many_sessions_passes_once(personas, required):
    """Each request read the device, then wrote the code used: a code sent at once from
    several sessions passed in each (found by an audit of section 12)."""
    device = TOTPDevice.objects.create(user=personas["super"], name="app", confirmed=True)
    answers = sent_at_once(signed_in_sessions("super"), code(device.bin_key))
    assert [answer.status_code for answer in answers].count(302) == 1


@pytest.mark.skipif(not POSTGRESQL, reason="threads on one in-memory SQLite database")
@pytest.mark.django_db(transaction=True)
def test_guesses_sent_at_once_are_checked_one_at_a_time(personas, required):
    """A burst of wrong codes was checked whole before the first failure was counted:
    the doubling wait held back none of it (found by an audit of section 12). One is
    checked; the others wait their turn, and are told to wait."""
    device = TOTPDevice.objects.create(user=personas["super"], name="app", confirmed=True)
    wrong = f"{(int(code(device.bin_key)) + 1) % 1_000_000:06d}"
    answers = sent_at_once(signed_in_sessions("super"), wrong)
    checked = [answer for answer in answers if b"wrong or was already used" in answer.content]
    assert len(checked) == 1
