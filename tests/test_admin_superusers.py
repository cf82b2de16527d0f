"""Only a superuser may change a superuser (spec section 4; issue 23): a system
administrator who is not one walks every admin URL of a superuser's record and of their
API clients, GET and POST, and changes nothing; another superuser does the same and it
works. A system administrator still manages everyone else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.api_clients import ApiClient
from accounts.models import User
from accounts.roles import DESKTOP_USERS, SYSTEM_ADMINISTRATORS
from tests.api_support import API, PASSWORD, basic
from tests.factories import UserFactory

NEW_PASSWORD = "a new password nobody knows 7"
TAKEN_OVER = "taken-over"


@pytest.fixture
def root(personas) -> User:
    """A second superuser: the one who may change the first."""
    return UserFactory(username="root", org=None, is_superuser=True, is_staff=True)


@pytest.fixture
def target(personas) -> User:
    """The superuser whose record is walked, with an API client of their own."""
    superuser = personas["super"]
    ApiClient.objects.create_for(superuser, "root's nightly export")
    return superuser


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def account_state(user: User) -> dict:
    """Everything about a user's way in, read afresh from the database."""
    row = User.objects.filter(pk=user.pk).values().first()
    if row is None:
        return {"deleted": True}
    found = User.objects.get(pk=user.pk)
    return {
        **row,
        "last_login": None,  # the superuser's own sign-in below moves it
        "groups": sorted(found.groups.values_list("name", flat=True)),
        "user_permissions": sorted(found.user_permissions.values_list("codename", flat=True)),
        "api_clients": list(
            ApiClient.objects.filter(user=found).values_list(
                "client_id", "name", "expires_at", "revoked_at"
            )
        ),
    }


def takeover_form(user: User) -> dict:
    """The change form of the user's record, filled in as a takeover would: a new
    username and address, signed out, demoted, and put into another role."""
    joined = timezone.localtime(user.date_joined)
    return {
        "username": TAKEN_OVER,
        "first_name": "Mallory",
        "last_name": "Owned",
        "email": "mallory@example.com",
        # is_active, is_staff and is_superuser left out: unticked boxes
        "groups": [Group.objects.get(name=DESKTOP_USERS).pk],
        "role": DESKTOP_USERS,
        "user_permissions": [Permission.objects.get(codename="view_org").pk],
        "date_joined_0": joined.date().isoformat(),
        "date_joined_1": joined.time().replace(microsecond=0).isoformat(),
        "last_login_0": "",
        "last_login_1": "",
        "user_uid": user.user_uid or "",
        "user_ext_ref": user.user_ext_ref,
        "org": "",
        "user_status": "Blocked",
    }


def password_form() -> dict:
    return {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}


def user_record_urls(user: User) -> dict[str, tuple[str, dict]]:
    """Every admin URL of one user's record: (URL, the POST that would change it)."""
    return {
        "change": (reverse("admin:accounts_user_change", args=[user.pk]), takeover_form(user)),
        "password": (reverse("admin:auth_user_password_change", args=[user.pk]), password_form()),
        "delete": (reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"}),
        "history": (reverse("admin:accounts_user_history", args=[user.pk]), {}),
        "redirect": (f"/admin/accounts/user/{user.pk}/", takeover_form(user)),
    }


def client_record_urls(api_client: ApiClient) -> dict[str, tuple[str, dict]]:
    past = timezone.localtime(timezone.now() - dt.timedelta(days=1))
    form = {
        "name": "renamed",
        "expires_at_0": past.date().isoformat(),
        "expires_at_1": past.time().replace(microsecond=0).isoformat(),
    }
    pk = api_client.pk
    return {
        "change": (reverse("admin:accounts_apiclient_change", args=[pk]), form),
        "delete": (reverse("admin:accounts_apiclient_delete", args=[pk]), {"post": "yes"}),
        "history": (reverse("admin:accounts_apiclient_history", args=[pk]), {}),
        "redirect": (f"/admin/accounts/apiclient/{api_client.pk}/", form),
    }


def object_url_names(model) -> set[str]:
    """The names of the admin's URLs that take an object's id, as the admin has them
    now: a URL added later fails test_every_url_of_a_record_is_walked until it is."""
    names = set()
    for pattern in admin.site._registry[model].get_urls():
        if pattern.pattern.converters:
            names.add(pattern.name or "redirect")
    return names


def test_every_url_of_a_record_is_walked(personas):
    assert object_url_names(User) == {
        "auth_user_password_change",
        "accounts_user_history",
        "accounts_user_delete",
        "accounts_user_change",
        "redirect",
    }
    assert object_url_names(ApiClient) == {
        "accounts_apiclient_history",
        "accounts_apiclient_delete",
        "accounts_apiclient_change",
        "redirect",
    }


def bulk_actions(model, user: User) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    return list(admin.site._registry[model].get_actions(request))


# What a POST to each URL answers when it may not change anything: the history and the
# bare id's redirect to the change page write nothing whoever asks.
REFUSED_POST = {"history": (200,), "redirect": (301, 302)}


def assert_refused_or_read_only(response, what: str) -> None:
    if response.status_code == 403:
        return
    assert response.status_code == 200, (what, response.status_code)
    html = response.content.decode()
    assert 'name="_save"' not in html and 'name="password1"' not in html, what
    assert 'name="username"' not in html and 'name="post"' not in html, what


# A system administrator cannot


@pytest.mark.parametrize("name", ["change", "password", "delete", "history", "redirect"])
def test_a_system_administrator_cannot_change_a_superuser_through_any_url(personas, target, name):
    sysadmin = as_user(personas["sysadmin"])
    url, data = user_record_urls(target)[name]
    before = account_state(target)
    assert_refused_or_read_only(sysadmin.get(url, follow=True), f"GET {name}")
    response = sysadmin.post(url, data)
    assert response.status_code in REFUSED_POST.get(name, (403,)), response.status_code
    assert account_state(target) == before
    assert Client().login(username=target.username, password=PASSWORD)
    assert not Client().login(username=target.username, password=NEW_PASSWORD)


def test_the_takeover_of_the_issue_is_refused(personas, target):
    """POST /admin/accounts/user/<superuser>/password/ answered 302, and the new password
    let the system administrator in as the superuser."""
    sysadmin = as_user(personas["sysadmin"])
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert sysadmin.post(url, password_form()).status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and not target.check_password(NEW_PASSWORD)


def test_a_system_administrator_cannot_use_any_bulk_action_on_a_superuser(personas, target):
    """Every action the user list offers now, and any added later: refused (403), or
    done to nobody (back to the list), and the superuser is unchanged."""
    sysadmin_user = personas["sysadmin"]
    sysadmin = as_user(sysadmin_user)
    changelist = reverse("admin:accounts_user_changelist")
    actions = bulk_actions(User, sysadmin_user)
    assert "delete_selected" in actions
    for action in actions:
        before = account_state(target)
        response = sysadmin.post(
            changelist, {"action": action, "_selected_action": [target.pk], "post": "yes"}
        )
        assert response.status_code in (302, 403), action
        assert account_state(target) == before, action


def test_a_system_administrator_cannot_delete_a_superuser_among_others(personas, target):
    plain = UserFactory(username="plain", org=None)  # owns no device, so may be deleted
    before = account_state(target), account_state(plain)
    response = as_user(personas["sysadmin"]).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [target.pk, plain.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert (account_state(target), account_state(plain)) == before


@pytest.mark.parametrize("name", ["change", "delete", "history", "redirect"])
def test_a_system_administrator_cannot_change_a_superuser_s_api_client(personas, target, name):
    sysadmin = as_user(personas["sysadmin"])
    api_client = ApiClient.objects.get(user=target)
    url, data = client_record_urls(api_client)[name]
    before = account_state(target)
    assert_refused_or_read_only(sysadmin.get(url, follow=True), f"GET {name}")
    response = sysadmin.post(url, data)
    assert response.status_code in REFUSED_POST.get(name, (403,)), response.status_code
    assert account_state(target) == before


def test_a_system_administrator_cannot_revoke_a_superuser_s_api_client(personas, target):
    sysadmin_user = personas["sysadmin"]
    actions = bulk_actions(ApiClient, sysadmin_user)
    assert {"delete_selected", "revoke"} <= set(actions)
    theirs = ApiClient.objects.get(user=target)
    daves, _ = ApiClient.objects.create_for(personas["dave"], "dave's")
    for action in actions:
        before = account_state(target), account_state(personas["dave"])
        response = as_user(sysadmin_user).post(
            reverse("admin:accounts_apiclient_changelist"),
            {"action": action, "_selected_action": [theirs.pk, daves.pk], "post": "yes"},
        )
        assert response.status_code == 403, action
        assert (account_state(target), account_state(personas["dave"])) == before


def test_a_system_administrator_cannot_make_an_api_client_for_a_superuser(client, personas, target):
    """It would let them act with a superuser's credentials."""
    client.force_login(personas["sysadmin"])
    before = ApiClient.objects.count()
    response = client.post(
        reverse("admin:accounts_apiclient_add"), {"user": target.pk, "name": "mine now"}
    )
    assert response.status_code == 200
    assert "Only a superuser may make an API client for a superuser" in response.content.decode()
    assert ApiClient.objects.count() == before


def test_a_system_administrator_cannot_make_a_superuser(client, personas):
    client.force_login(personas["sysadmin"])
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newroot",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    made = User.objects.get(username="newroot")
    assert not made.is_superuser and not made.is_staff
    # ... nor tick it on the change form that follows.
    form = takeover_form(made) | {"username": "newroot", "is_active": "on", "is_superuser": "on"}
    client.post(reverse("admin:accounts_user_change", args=[made.pk]), form)
    made.refresh_from_db()
    assert not made.is_superuser


def test_a_system_administrator_cannot_make_themselves_a_superuser(client, personas):
    sysadmin = personas["sysadmin"]
    client.force_login(sysadmin)
    form = takeover_form(sysadmin) | {
        "username": "sysadmin",
        "is_active": "on",
        "is_superuser": "on",
        "groups": [Group.objects.get(name=SYSTEM_ADMINISTRATORS).pk],
    }
    response = client.post(reverse("admin:accounts_user_change", args=[sysadmin.pk]), form)
    assert response.status_code == 302
    sysadmin.refresh_from_db()
    assert not sysadmin.is_superuser
    assert not sysadmin.user_permissions.exists()


# ... and still manages everyone else


def test_a_system_administrator_still_manages_other_users(personas):
    sysadmin = as_user(personas["sysadmin"])
    dave = personas["dave"]
    url, data = user_record_urls(dave)["password"]
    assert sysadmin.post(url, data).status_code == 302
    url, data = user_record_urls(dave)["change"]
    assert sysadmin.post(url, data).status_code == 302
    dave.refresh_from_db()
    assert (dave.username, dave.is_active) == (TAKEN_OVER, False)
    assert dave.check_password(NEW_PASSWORD)
    response = sysadmin.post(
        reverse("admin:accounts_apiclient_add"), {"user": dave.pk, "name": "dave's export"}
    )
    assert response.status_code == 200 and ApiClient.objects.filter(user=dave).exists()


# A superuser can


@pytest.mark.parametrize("name", ["change", "password", "delete"])
def test_a_superuser_changes_a_superuser_through_the_same_urls(personas, target, root, name):
    superuser = as_user(root)
    url, data = user_record_urls(target)[name]
    assert superuser.get(url).status_code == 200
    response = superuser.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    state = account_state(target)
    if name == "change":
        assert (state["username"], state["is_active"], state["is_superuser"]) == (
            TAKEN_OVER,
            False,
            False,
        )
    elif name == "password":
        assert Client().login(username=target.username, password=NEW_PASSWORD)
    else:
        assert state == {"deleted": True}


def test_a_superuser_uses_the_bulk_actions_and_the_api_clients(personas, target, root):
    superuser = as_user(root)
    theirs = ApiClient.objects.get(user=target)
    response = superuser.post(
        reverse("admin:accounts_apiclient_changelist"),
        {"action": "revoke", "_selected_action": [theirs.pk]},
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.revoked_at is not None
    response = superuser.post(
        reverse("admin:accounts_apiclient_add"), {"user": target.pk, "name": "a new one"}
    )
    assert response.status_code == 200
    made = ApiClient.objects.get(user=target, name="a new one")
    assert made.created_by == root
    response = superuser.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=target.pk).exists()


def test_a_superuser_s_client_still_works_after_the_refusals(client, personas, target):
    api_client, secret = ApiClient.objects.create_for(target, "checked")
    as_user(personas["sysadmin"]).post(
        reverse("admin:accounts_apiclient_changelist"),
        {"action": "revoke", "_selected_action": [api_client.pk]},
    )
    assert client.get(API, **basic(api_client.client_id, secret)).status_code == 200


def test_a_system_administrator_lifts_locks_but_cannot_make_one(personas, target):
    """Deleting failed sign-ins lifts a lock (their job); writing some would lock a
    superuser out, and the admin has no form for it."""
    from axes.models import AccessAttempt

    sysadmin = as_user(personas["sysadmin"])
    assert sysadmin.get(reverse("admin:axes_accessattempt_add")).status_code == 403
    attempt = AccessAttempt.objects.create(
        username=target.username, ip_address="192.0.2.1", failures_since_start=1
    )
    change = reverse("admin:axes_accessattempt_change", args=[attempt.pk])
    sysadmin.post(change, {"failures_since_start": 100, "username": target.username})
    attempt.refresh_from_db()
    assert attempt.failures_since_start == 1
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert sysadmin.post(delete, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()
