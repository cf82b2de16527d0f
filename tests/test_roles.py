"""Roles (spec section 4): the groups, the admin, and the assign_role command."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import ROLE_GROUPS, SYSTEM_ADMINISTRATORS
from tests.api_support import PASSWORD

ADMIN_PAGES = [
    "admin:index",
    "admin:accounts_org_changelist",
    "admin:accounts_user_changelist",
    "admin:reports_device_changelist",
    "admin:reports_archive_changelist",
    "admin:axes_accessattempt_changelist",
]


def sysadmin_codenames() -> set[str]:
    group = Group.objects.get(name=SYSTEM_ADMINISTRATORS)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def expected_codenames() -> set[str]:
    return {
        f"{model._meta.app_label}.{action}_{model._meta.model_name}"
        for label in (
            "accounts",
            "reports",
            "axes",
            "notifications",
            "saved_views",
            "integrations",
            "otp_totp",
        )
        for model in apps.get_app_config(label).get_models()
        for action in ("view", "add", "change", "delete")
    } | {"refresh.view_run", "audit.view_event"}  # read-only: the run log, the audit log


def test_the_migration_creates_the_three_groups(db):
    migration = importlib.import_module("accounts.migrations.0002_roles")
    assert set(migration.ROLE_GROUP_NAMES) == set(ROLE_GROUPS.values())
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_GROUPS.values())


def test_system_administrators_get_the_admin_permissions_of_every_model(db):
    codenames = sysadmin_codenames()
    assert codenames == expected_codenames()
    assert "reports.view_reportrow" in codenames
    assert "accounts.change_org" in codenames
    assert not any(code.startswith("auth.") for code in codenames)


def test_other_roles_get_no_permissions(db):
    for name in ROLE_GROUPS.values():
        if name != SYSTEM_ADMINISTRATORS:
            assert not Group.objects.get(name=name).permissions.exists()


def test_permissions_are_granted_on_a_database_that_had_none(db):
    """As on a fresh database: the permissions appear only after the migrations ran."""
    Group.objects.get(name=SYSTEM_ADMINISTRATORS).delete()
    Permission.objects.filter(content_type__app_label__in=["accounts", "reports"]).delete()
    call_command("migrate", verbosity=0)
    assert sysadmin_codenames() == expected_codenames()


# The admin


def admin_login(client, username: str):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": PASSWORD, "next": reverse("admin:index")},
    )


def test_a_system_administrator_who_is_not_staff_uses_the_admin(client, personas):
    sysadmin = personas["sysadmin"]
    assert not sysadmin.is_staff
    response = admin_login(client, "sysadmin")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    for page in ADMIN_PAGES:
        assert client.get(reverse(page)).status_code == 200, page
    org = personas["alice"].org
    response = client.get(reverse("admin:accounts_org_change", args=[org.pk]))
    assert response.status_code == 200


def test_a_system_administrator_can_edit_in_the_admin(client, personas):
    admin_login(client, "sysadmin")
    org = personas["alice"].org
    response = client.post(
        reverse("admin:accounts_org_change", args=[org.pk]),
        {
            "org_uid": org.org_uid,
            "name": "Accounting and Finance",
            "ext_ref": org.ext_ref,
            "parent": org.parent_id,
            "status": "Active",
        },
    )
    assert response.status_code == 302, response.content
    org.refresh_from_db()
    assert org.name == "Accounting and Finance"


def test_only_a_superuser_may_make_superusers_in_the_admin(client, personas):
    dave = personas["dave"]
    url = reverse("admin:accounts_user_change", args=[dave.pk])
    admin_login(client, "sysadmin")
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="role"' in page
    assert f'value="{SYSTEM_ADMINISTRATORS}"' not in page  # nor system administrators
    client.logout()
    admin_login(client, "super")
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' in page
    assert f'name="role" value="{SYSTEM_ADMINISTRATORS}"' in page


def test_a_superuser_uses_the_admin(client, personas):
    admin_login(client, "super")
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("name", ["dave", "alice", "carol", "erin"])
def test_desktop_users_org_managers_and_users_without_role_get_no_admin(client, personas, name):
    response = admin_login(client, name)
    assert response.status_code == 200  # the form again, with an error
    assert "system administrator" in response.content.decode()
    assert "_auth_user_id" not in client.session
    client.force_login(personas[name])
    for page in ADMIN_PAGES:
        response = client.get(reverse(page))
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_status_alone_does_not_open_the_admin(client, personas):
    dave = personas["dave"]
    dave.is_staff = True
    dave.save()
    assert admin_login(client, "dave").status_code == 200
    client.force_login(dave)
    assert client.get(reverse("admin:index")).status_code == 302


def test_an_inactive_system_administrator_gets_no_admin(client, personas):
    sysadmin = personas["sysadmin"]
    sysadmin.is_active = False
    sysadmin.save()
    assert admin_login(client, "sysadmin").status_code == 200


# assign_role


def roles_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_assign_role_adds_and_removes(personas, capsys):
    erin = personas["erin"]
    call_command("assign_role", "erin", "sysadmin")
    assert roles_of(erin) == {SYSTEM_ADMINISTRATORS}
    assert "erin is now in 'System administrators'" in capsys.readouterr().out
    call_command("assign_role", "erin", "org-manager")
    call_command("assign_role", "erin", "sysadmin", "--remove")
    assert roles_of(erin) == {"Org managers"}
    call_command("assign_role", "erin", "desktop-user")
    call_command("assign_role", "erin", "desktop-user")  # twice is once
    assert roles_of(erin) == {"Org managers", "Desktop users"}


def test_assign_role_gives_the_reach_at_once(client, personas):
    from tests.api_support import get

    erin = personas["erin"]
    assert get(client, erin).json()["metadata"]["totalCount"] == 1
    call_command("assign_role", "erin", "sysadmin")
    assert get(client, erin).json()["metadata"]["totalCount"] == 5


def test_assign_role_rejects_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user with the username 'nobody'"):
        call_command("assign_role", "nobody", "sysadmin")


def test_assign_role_rejects_an_unknown_role(personas):
    with pytest.raises(CommandError, match="Unknown role 'admin'; use one of desktop-user"):
        call_command("assign_role", "erin", "admin")
