"""LOCAL_SIGNIN=0 (accounts.local_signin): with single sign-on, passwords work for
superusers only (break-glass), on the login page, in the admin and over HTTP Basic;
other password sessions end."""

from __future__ import annotations

import pytest

from tests.api_support import basic
from tests.personas import PASSWORD


@pytest.fixture
def local_off(settings):
    settings.LOCAL_SIGNIN = False


def form_sign_in(client, username: str, path: str = "/accounts/login/"):
    return client.post(path, {"username": username, "password": PASSWORD})


def test_the_login_page_hides_the_form_behind_a_break_glass_link(client, db, local_off):
    html = client.get("/accounts/login/").content.decode()
    assert "<summary>Break-glass sign-in (superusers only)</summary>" in html
    assert "<details" in html and '<details class="break-glass" open' not in html
    assert "Forgot your password?" not in html


def test_a_non_superuser_password_is_refused_and_a_superuser_s_works(client, personas, local_off):
    for name in ("dave", "alice", "sysadmin"):
        refused = form_sign_in(client, name)
        assert refused.status_code == 200, name
        assert b"Please enter a correct username and password" in refused.content
        assert b'<details class="break-glass" open>' in refused.content  # the error shows
        assert client.get("/")["Location"].startswith("/accounts/login/")
    assert form_sign_in(client, "super")["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_admin_login_follows_the_same_rule(client, personas, local_off):
    assert form_sign_in(client, "sysadmin", "/admin/login/").status_code == 200
    assert client.get("/admin/").status_code == 302
    assert form_sign_in(client, "super", "/admin/login/").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_basic_follows_the_same_rule(client, personas, local_off):
    for path in ("/api/DeviceBackupReport", "/api/v3/auth/jwt?useBody=true"):
        refused = client.get(path, **basic("sysadmin", PASSWORD))
        assert refused.status_code == 401, path
        assert "turned off" in refused.json()["detail"]
        assert client.get(path, **basic("super", PASSWORD)).status_code == 200, path


def test_a_token_from_a_password_ends_with_local_sign_in(client, personas, settings):
    """A token a password gave is that password's: refused with it (found by an audit)."""
    from accounts.caller_memo import caller_memo

    issued = client.get("/api/v3/auth/jwt?useBody=true", **basic("dave"))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issued.json()['data']['v3_user_token']}"}
    assert client.get("/api/DeviceBackupReport", **bearer).status_code == 200
    settings.LOCAL_SIGNIN = False
    caller_memo.forget()  # the restart
    refused = client.get("/api/DeviceBackupReport", **bearer)
    assert refused.status_code == 401
    assert "turned off" in refused.json()["detail"]


def test_an_api_client_still_works(client, personas, local_off):
    from accounts.api_clients import ApiClient

    api_client, secret = ApiClient.objects.create_for(personas["alice"], "export")
    response = client.get("/api/DeviceBackupReport", **basic(api_client.client_id, secret))
    assert response.status_code == 200


def test_a_password_session_ends_when_local_sign_in_is_turned_off(client, personas, settings):
    assert form_sign_in(client, "alice")["Location"] == "/"
    assert client.get("/").status_code == 200
    settings.LOCAL_SIGNIN = False
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_basic_already_verified_is_refused_after_the_switch(client, personas, settings):
    """Recently verified credentials (accounts.callers) are asked the rule again. A
    setting changes with a restart, which forgets the callers kept in memory."""
    from accounts.caller_memo import caller_memo

    assert client.get("/api/DeviceBackupReport", **basic("dave")).status_code == 200
    settings.LOCAL_SIGNIN = False
    caller_memo.forget()  # the restart
    assert client.get("/api/DeviceBackupReport", **basic("dave")).status_code == 401


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/DeviceBackupReport"])
def test_a_right_password_refused_says_why_and_counts_as_any_failure(
    client, personas, local_off, path
):
    """A right password that local sign-in refuses is recorded with that reason: the
    audit log called it a wrong password (found by an audit of section 12). The lockout
    counts it as it counts a wrong one: else the lock, coming later after a right guess
    among wrong ones, would tell a guesser the password (which may be theirs elsewhere)."""
    from axes.models import AccessAttempt

    from accounts.audit.models import Event

    for _ in range(3):
        if path.startswith("/api/"):
            assert client.get(path, **basic("dave", PASSWORD)).status_code == 401
        else:
            assert form_sign_in(client, "dave", path).status_code == 200
    wrong = client.post("/accounts/login/", {"username": "dave", "password": "x"})
    assert wrong.status_code == 200
    assert AccessAttempt.objects.get(username="dave").failures_since_start == 4
    failed = Event.objects.filter(kind="signin.failed").order_by("pk")
    reasons = [event.details.get("reason") for event in failed]
    assert reasons == ["local sign-in off"] * 3 + [None]
