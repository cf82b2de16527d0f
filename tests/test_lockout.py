"""Brute force (spec section 7): repeated failed sign-ins for one username or from one
address are refused for a while, on the login page, HTTP Basic and the token endpoints;
a system administrator sees and lifts the lock in the admin; right credentials at a
steady rate are never slowed or locked."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.api_clients import ApiClient
from tests.api_support import API, PASSWORD, basic

OAUTH = "/api/v3/oauth/token?grant_type=client_credentials"
JWT = "/api/v3/auth/jwt?useBody=true"
LIMIT = settings.AXES_FAILURE_LIMIT
COOL_OFF = settings.AXES_COOLOFF_TIME


@pytest.fixture(autouse=True)
def nothing_recently_verified():
    """Credentials verified by an earlier test must not stand in for this one's check."""
    from accounts.callers import recently_verified

    recently_verified.forget()


def sign_in_page(client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def fail_on_the_login_page(client, username: str, times: int = LIMIT, **extra) -> list:
    return [sign_in_page(client, username, "wrong", **extra) for _ in range(times)]


def assert_locked_json(response) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["error"] == "locked out"
    assert "Too many failed sign-ins" in body["detail"]
    minutes = round(COOL_OFF.total_seconds() / 60)
    assert f"{minutes} minutes" in body["detail"]
    assert 0 < int(response["Retry-After"]) <= COOL_OFF.total_seconds()
    assert body["retryAfterSeconds"] == int(response["Retry-After"])


def test_the_defaults(db):
    assert LIMIT == 10
    assert COOL_OFF.total_seconds() == 15 * 60


# The login page


def test_repeated_wrong_passwords_lock_the_login_page(client, personas):
    answers = fail_on_the_login_page(client, "dave")
    assert [a.status_code for a in answers[:-1]] == [200] * (LIMIT - 1)  # the form again
    assert answers[-1].status_code == 429
    response = sign_in_page(client, "dave", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in paused" in html
    assert "15 minutes" in html
    assert "even with the right password" in html
    assert "_auth_user_id" not in client.session


def test_the_lock_lifts_after_the_cool_off_and_refused_attempts_do_not_extend_it(client, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail_on_the_login_page(client, "dave")
    with time_machine.travel(start + COOL_OFF - dt.timedelta(seconds=5), tick=False):
        assert sign_in_page(client, "dave", "wrong").status_code == 429
        assert sign_in_page(client, "dave", PASSWORD).status_code == 429
    with time_machine.travel(start + COOL_OFF + dt.timedelta(seconds=1), tick=False):
        response = sign_in_page(client, "dave", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == reverse("overview")


def test_fewer_failures_than_the_limit_do_not_lock(client, personas):
    fail_on_the_login_page(client, "dave", times=LIMIT - 1)
    assert sign_in_page(client, "dave", PASSWORD).status_code == 302


def test_the_admin_login_locks_too(client, personas):
    for _ in range(LIMIT):
        client.post(reverse("admin:login"), {"username": "sysadmin", "password": "wrong"})
    response = client.post(reverse("admin:login"), {"username": "sysadmin", "password": PASSWORD})
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()


def test_failures_from_one_address_lock_it_for_every_username(client, personas):
    for index in range(LIMIT):
        sign_in_page(client, f"guess{index}", "wrong")
    assert sign_in_page(client, "dave", PASSWORD).status_code == 429
    # From another address, dave signs in: the lock was on the address.
    assert sign_in_page(client, "dave", PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_failures_for_one_username_lock_it_from_every_address(client, personas):
    for index in range(LIMIT):
        sign_in_page(client, "dave", "wrong", REMOTE_ADDR=f"10.0.0.{index + 1}")
    assert sign_in_page(client, "dave", PASSWORD, REMOTE_ADDR="10.9.9.9").status_code == 429
    assert sign_in_page(client, "sam", PASSWORD, REMOTE_ADDR="10.9.9.9").status_code == 302


def test_behind_a_proxy_the_address_is_the_one_it_forwarded(client, personas, settings):
    settings.PROXY_COUNT = 1
    for _ in range(LIMIT):
        # What the caller wrote into X-Forwarded-For is ignored; the proxy appended the last.
        sign_in_page(client, "guess", "wrong", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    proxied = {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert sign_in_page(client, "sam", PASSWORD, **proxied).status_code == 302


# HTTP Basic and the token endpoints


def test_repeated_wrong_basic_passwords_lock_with_a_json_429(client, personas):
    answers = [client.get(API, **basic("dave", "wrong")) for _ in range(LIMIT)]
    assert [a.status_code for a in answers[:-1]] == [401] * (LIMIT - 1)
    assert_locked_json(answers[-1])
    assert_locked_json(client.get(API, **basic("dave")))


def test_recently_verified_credentials_are_refused_while_locked(client, personas):
    assert client.get(API, **basic("dave")).status_code == 200  # now remembered
    for _ in range(LIMIT):
        client.get(API, **basic("dave", "wrong"))
    assert_locked_json(client.get(API, **basic("dave")))


def test_a_wrong_api_client_secret_counts_and_locks_the_client_id(client, personas):
    api_client, secret = ApiClient.objects.create_for(personas["dave"], "script")
    for _ in range(LIMIT):
        client.get(API, **basic(api_client.client_id, "wrong"))
    assert_locked_json(client.get(API, **basic(api_client.client_id, secret)))
    assert AccessAttempt.objects.get().username == api_client.client_id


def test_guessing_client_ids_locks_the_address(client, personas):
    for index in range(LIMIT):
        client.get(API, **basic(f"key-{index:032x}", "guess"))
    api_client, secret = ApiClient.objects.create_for(personas["dave"], "script")
    assert_locked_json(client.get(API, **basic(api_client.client_id, secret)))


def test_the_client_credentials_endpoint_locks(client, personas):
    api_client, secret = ApiClient.objects.create_for(personas["dave"], "script")
    answers = [client.post(OAUTH, **basic(api_client.client_id, "wrong")) for _ in range(LIMIT)]
    assert [a.status_code for a in answers[:-1]] == [401] * (LIMIT - 1)
    assert_locked_json(answers[-1])
    assert_locked_json(client.post(OAUTH, **basic(api_client.client_id, secret)))


def test_the_user_token_endpoint_locks(client, personas):
    for _ in range(LIMIT):
        client.get(JWT, **basic("dave", "wrong"))
    assert_locked_json(client.get(JWT, **basic("dave")))


def test_failures_anywhere_add_up(client, personas):
    """The login page, Basic and the token endpoint count against the same username."""
    for index in range(LIMIT):
        if index % 3 == 0:
            sign_in_page(client, "dave", "wrong")
        elif index % 3 == 1:
            client.get(API, **basic("dave", "wrong"))
        else:
            client.get(JWT, **basic("dave", "wrong"))
    assert sign_in_page(client, "dave", PASSWORD).status_code == 429


def test_a_token_issued_before_the_lock_keeps_working(client, personas):
    """A bearer token is not a sign-in: it cannot be guessed, and it dies with a
    password change, the remedy when a password was being guessed."""
    token = client.get(JWT, **basic("dave")).json()["data"]["v3_user_token"]
    for _ in range(LIMIT):
        client.get(API, **basic("dave", "wrong"))
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


# Right credentials at a steady rate


def test_right_credentials_at_a_steady_rate_are_never_slowed_or_locked(client, personas):
    api_client, secret = ApiClient.objects.create_for(personas["sam"], "script")
    start = timezone.now()
    for second in range(0, 3 * int(COOL_OFF.total_seconds()), 15):  # three cool-offs long
        with time_machine.travel(start + dt.timedelta(seconds=second), tick=False):
            if second % 60 == 0:
                from accounts.callers import recently_verified

                recently_verified.forget()  # as a new worker process would: a full check
            assert client.get(API, **basic("dave")).status_code == 200
            assert client.get(API, **basic(api_client.client_id, secret)).status_code == 200
            assert client.post(OAUTH, **basic(api_client.client_id, secret)).status_code == 200
            assert client.get(JWT, **basic("dave")).status_code == 200
    assert not AccessAttempt.objects.exists()


# The admin


def test_a_system_administrator_sees_the_lock_and_lifts_it_in_the_admin(client, personas):
    fail_on_the_login_page(client, "dave")
    assert sign_in_page(client, "dave", PASSWORD).status_code == 429

    admin = client.__class__()
    admin.force_login(personas["sysadmin"])
    changelist = reverse("admin:axes_accessattempt_changelist")
    listed = admin.get(changelist, {"locked_out": "yes"})
    assert listed.status_code == 200
    html = listed.content.decode()
    assert "dave" in html and "Locked Out" in html

    attempt = AccessAttempt.objects.get(username="dave")
    confirm = admin.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk]}
    )
    assert confirm.status_code == 200  # are you sure?
    done = admin.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert done.status_code == 302
    assert not AccessAttempt.objects.exists()

    assert sign_in_page(client, "dave", PASSWORD).status_code == 302


def test_an_org_manager_cannot_see_the_lockouts(client, personas):
    client.force_login(personas["alice"])
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# Other people's ways in keep working


def test_the_test_client_login_still_works(client, personas):
    assert client.login(username="dave", password=PASSWORD)


# The vendor's SDK, over HTTP


@pytest.fixture
def pycpg_connections():
    """pycpg keeps its connections alive in one module-level session: closed after the
    test, no live-server thread is left serving one when the server stops."""
    from pycpg.services._connection import ROOT_SESSION

    yield
    ROOT_SESSION.close()


@pytest.mark.django_db(transaction=True)
def test_pycpg_counts_two_failures_a_wrong_password_and_says_when_locked(
    live_server, personas, pycpg_connections
):
    import pycpg.sdk
    from pycpg.exceptions import PycpgTooManyRequestsError, PycpgUnauthorizedError

    with pytest.raises(PycpgUnauthorizedError):
        pycpg.sdk.from_local_account(live_server.url, "dave", "wrong")
    assert AccessAttempt.objects.get(username="dave").failures_since_start == 2  # it retries

    AccessAttempt.objects.filter(username="dave").update(failures_since_start=LIMIT)
    with pytest.raises(PycpgTooManyRequestsError) as refused:
        pycpg.sdk.from_local_account(live_server.url, "dave", PASSWORD)
    assert "Too many failed sign-ins" in str(refused.value)


# Checks in flight (accounts.password_checks): a check running elsewhere counts


def checks_running_for(username: str, count: int = 1, started=None) -> None:
    """As if `count` password checks for the username, from the test client's address,
    were running in another process now (or since `started`)."""
    from django.test import RequestFactory

    from accounts.password_checks import PasswordCheck, counted_by_key

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="127.0.0.1")
    for key, _ in counted_by_key(request, {"username": username}):
        for _ in range(count):
            PasswordCheck.objects.create(key=key, started_at=started or timezone.now())


@pytest.fixture
def short_wait(monkeypatch):
    from accounts import password_checks

    monkeypatch.setattr(password_checks, "WAIT_SECONDS", 0.3)
    monkeypatch.setattr(password_checks, "POLL_SECONDS", 0.05)


def failures_of(username: str) -> int:
    return sum(
        AccessAttempt.objects.filter(username=username).values_list(
            "failures_since_start", flat=True
        )
    )


@pytest.mark.parametrize("surface", ["login page", "Basic", "user token"])
def test_a_password_waits_while_running_checks_may_lock_it(client, personas, short_wait, surface):
    """LIMIT - 1 failures and one check running elsewhere: the next check must wait for
    that one's outcome, even with the right password. Here it never ends: refused."""
    fail_on_the_login_page(client, "dave", times=LIMIT - 1)
    checks_running_for("dave")
    if surface == "login page":
        assert sign_in_page(client, "dave", PASSWORD).status_code == 429
    else:
        assert_locked_json(client.get(API if surface == "Basic" else JWT, **basic("dave")))
    assert failures_of("dave") == LIMIT - 1  # a refusal is not a failure


def test_recently_verified_credentials_wait_too(client, personas, short_wait):
    """Else a right guess sent among many wrong ones at once would pass unchecked."""
    assert client.get(API, **basic("dave")).status_code == 200  # now remembered
    for _ in range(LIMIT - 1):
        client.get(API, **basic("dave", "wrong"))
    checks_running_for("dave")
    assert_locked_json(client.get(API, **basic("dave")))


def test_a_right_client_secret_waits_too(client, personas, short_wait):
    api_client, secret = ApiClient.objects.create_for(personas["dave"], "script")
    for _ in range(LIMIT - 1):
        client.get(API, **basic(api_client.client_id, "wrong"))
    checks_running_for(api_client.client_id)
    assert_locked_json(client.get(API, **basic(api_client.client_id, secret)))


def test_checks_running_below_the_limit_do_not_hold_anyone_up(client, personas, short_wait):
    checks_running_for("dave", count=LIMIT - 1)
    assert sign_in_page(client, "dave", PASSWORD).status_code == 302
    assert client.get(API, **basic("dave")).status_code == 200
    assert client.get(JWT, **basic("dave")).status_code == 200


def test_a_check_left_behind_by_a_killed_process_stops_counting(client, personas, short_wait):
    from accounts.password_checks import STALE, PasswordCheck

    fail_on_the_login_page(client, "dave", times=LIMIT - 1)
    checks_running_for("dave", started=timezone.now() - STALE - dt.timedelta(seconds=1))
    assert sign_in_page(client, "dave", PASSWORD).status_code == 302
    assert not PasswordCheck.objects.exists()  # and it is cleared away


def test_no_check_stays_running_after_its_answer(client, personas):
    from accounts.password_checks import PasswordCheck

    api_client, _ = ApiClient.objects.create_for(personas["dave"], "script")
    sign_in_page(client, "dave", "wrong")
    sign_in_page(client, "dave", PASSWORD)
    client.get(API, **basic("sam", "wrong"))
    client.get(JWT, **basic("sam"))
    client.get(API, **basic(api_client.client_id, "wrong"))
    client.get(API, **basic("key-" + "0" * 32, "wrong"))
    assert not PasswordCheck.objects.exists()
    assert failures_of("dave") == failures_of("sam") == failures_of(api_client.client_id) == 1


def test_the_password_is_checked_by_the_backend_after_the_lockout(client, personas):
    """The lockout admits the check; the next backend makes it and signs the person in,
    so that a backend put there (one that holds password sign-in to a rule) still rules."""
    from django.contrib.auth import BACKEND_SESSION_KEY

    assert sign_in_page(client, "dave", PASSWORD).status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == settings.AUTHENTICATION_BACKENDS[1]
