"""Roles for many users at once (accounts.bulk_roles): the admin's actions on a filtered
user list, through real requests, and `assign_role --csv`, all or nothing; the role
matrix holds for roles given this way."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import given

from accounts.audit.models import Event
from accounts.models import User
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, ROLE_GROUPS, SYSTEM_ADMINISTRATORS
from tests.api_support import all_pages, expected_keys, keys_of
from tests.factories import UserFactory
from tests.test_admin_look import change_form
from tests.test_api_roles import build_environment, environments, role_matrix_examples
from tests.test_sso_deprovisioning import answers, every_way_in

CHANGELIST = "/admin/accounts/user/"


def roles_of(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def run_action(client, action: str, users, query: str = ""):
    return client.post(
        CHANGELIST + query,
        {"action": action, "_selected_action": [user.pk for user in users]},
        follow=True,
    )


# The admin's actions


def test_a_filtered_list_becomes_org_managers_in_one_action(client, personas, orgs):
    client.force_login(personas["sysadmin"])
    # The list filtered to one org, every row selected, as the admin's "select all" sends.
    listed = client.get(CHANGELIST, {"org__id__exact": orgs["accounting"].pk})
    assert listed.status_code == 200
    accounting = list(User.objects.filter(org=orgs["accounting"]))
    assert {u.username for u in accounting} == {"alice", "dave"}
    response = run_action(
        client, "make_org_managers", accounting, f"?org__id__exact={orgs['accounting'].pk}"
    )
    assert "2 user(s) are now in &#x27;Org managers&#x27;." in response.content.decode()
    assert ORG_MANAGERS in roles_of("dave") and DESKTOP_USERS in roles_of("dave")
    assert roles_of("sam") == {DESKTOP_USERS}  # not selected


def test_org_managers_without_an_org_are_named(client, personas):
    orgless = UserFactory(username="orgless", org=None)
    client.force_login(personas["sysadmin"])
    html = run_action(client, "make_org_managers", [orgless]).content.decode()
    assert "1 of them have no org: they see only their own devices." in html


def test_desktop_users_in_one_action(client, personas):
    client.force_login(personas["sysadmin"])
    run_action(client, "make_desktop_users", [personas["erin"], personas["carol"]])
    assert roles_of("erin") == {DESKTOP_USERS}
    assert roles_of("carol") == {ORG_MANAGERS, DESKTOP_USERS}


def test_a_system_administrator_cannot_make_system_administrators(client, personas):
    client.force_login(personas["sysadmin"])
    listed = client.get(CHANGELIST).content.decode()
    assert 'value="make_org_managers"' in listed
    assert 'value="make_system_administrators"' not in listed
    response = run_action(client, "make_system_administrators", [personas["dave"]])
    assert SYSTEM_ADMINISTRATORS not in roles_of("dave")
    assert "No action selected." in response.content.decode()


def test_a_system_administrator_cannot_touch_a_superuser_in_bulk(client, personas):
    client.force_login(personas["sysadmin"])
    response = run_action(client, "make_desktop_users", [personas["dave"], personas["super"]])
    assert response.status_code == 403
    assert roles_of("super") == set()
    assert roles_of("dave") == {DESKTOP_USERS}  # nothing half done: dave had it already
    response = run_action(client, "make_org_managers", [personas["erin"], personas["super"]])
    assert response.status_code == 403 and roles_of("erin") == set()


def test_a_superuser_makes_system_administrators(client, personas):
    client.force_login(personas["super"])
    run_action(client, "make_system_administrators", [personas["erin"]])
    assert roles_of("erin") == {SYSTEM_ADMINISTRATORS}


def test_roles_are_taken_in_one_action(client, personas):
    client.force_login(personas["sysadmin"])
    response = run_action(client, "take_roles", [personas["alice"], personas["dave"]])
    assert roles_of("alice") == set() and roles_of("dave") == set()
    assert "2 user(s) have no role now." in response.content.decode()
    assert roles_of("carol") == {ORG_MANAGERS}


def test_users_are_deactivated_and_reactivated_in_one_action(client, personas):
    client.force_login(personas["sysadmin"])
    chosen = [personas["erin"], personas["dave"]]
    response = run_action(client, "deactivate", chosen)
    assert "2 user(s) are now inactive" in response.content.decode()
    assert not User.objects.filter(username__in=["erin", "dave"], is_active=True).exists()
    assert User.objects.get(username="alice").is_active
    run_action(client, "reactivate", chosen)
    assert User.objects.filter(username__in=["erin", "dave"], is_active=True).count() == 2
    # In the audit log as the form's change is, once per person and action: the actions
    # left no trace (found by an audit of section 13).
    changes = Event.objects.filter(kind="admin.change", details__action="changed")
    assert sorted((e.actor, e.target, e.details["change"]) for e in changes) == [
        ("sysadmin", f"accounts.user {name}", "Changed Active.")
        for name in ("dave", "dave", "erin", "erin")
    ]


@pytest.mark.parametrize("by", ["the change form", "the list's actions"])
def test_a_deactivation_ends_sessions_and_tokens_for_good(client, personas, by):
    """Reactivated, a person signs in afresh: by the change form, the sessions and
    tokens of before came back with the access (the admin saves the form with
    commit=False, which left the access out; found by an audit of section 7)."""
    dave = personas["dave"]
    ways = every_way_in(dave)
    assert answers(ways) == dict.fromkeys(ways, 200)
    client.force_login(personas["sysadmin"])
    for active in (False, True):
        if by == "the change form":
            dave.refresh_from_db()
            changes = {} if active else {"is_active": ""}
            url = f"/admin/accounts/user/{dave.pk}/change/"
            assert client.post(url, change_form(dave, **changes)).status_code == 302
        else:
            run_action(client, "reactivate" if active else "deactivate", [dave])
        dave.refresh_from_db()
        assert dave.is_active == active
    assert answers(ways) == {"session": 401, "basic": 200, "bearer": 401, "api client": 200}


@pytest.mark.parametrize("action", ["deactivate", "take_roles"])
def test_an_administrator_cannot_lock_themselves_out(client, personas, action):
    sysadmin = personas["sysadmin"]
    client.force_login(sysadmin)
    response = run_action(client, action, [personas["erin"], sysadmin])
    assert response.status_code == 403
    sysadmin.refresh_from_db()
    assert sysadmin.is_active and roles_of("sysadmin") == {SYSTEM_ADMINISTRATORS}


@pytest.mark.parametrize("action", ["deactivate", "take_roles"])
def test_a_system_administrator_cannot_deactivate_or_demote_a_superuser(client, personas, action):
    superuser = personas["super"]
    superuser.groups.add(Group.objects.get(name=ORG_MANAGERS))
    client.force_login(personas["sysadmin"])
    response = run_action(client, action, [personas["erin"], superuser])
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active and roles_of("super") == {ORG_MANAGERS}
    assert User.objects.get(username="erin").is_active


def test_the_list_filters_by_role_no_role_included(client, personas):
    client.force_login(personas["sysadmin"])
    page = client.get(CHANGELIST, {"role": "none"}).content.decode()
    assert 'href="/admin/accounts/user/' in page
    listed = set(re.findall(r'<a href="/admin/accounts/user/\d+/change/[^"]*">([^<]+)</a>', page))
    assert listed == {"erin", "super"}
    page = client.get(CHANGELIST, {"role": ORG_MANAGERS}).content.decode()
    listed = set(re.findall(r'<a href="/admin/accounts/user/\d+/change/[^"]*">([^<]+)</a>', page))
    assert listed == {"alice", "carol"}


@pytest.mark.parametrize("name", ["alice", "dave"])
def test_other_roles_have_no_admin_to_act_in(client, personas, name):
    client.force_login(personas[name])
    response = run_action(client, "make_org_managers", [personas["erin"]])
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert roles_of("erin") == set()


# assign_role --csv


def write(tmp_path, text: str):
    path = tmp_path / "roles.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_csv_gives_roles_by_username_or_email(personas, tmp_path, capsys):
    csv = write(
        tmp_path,
        "username,role\n"
        "erin,org-manager\n"
        "SAM@EXAMPLE.COM,org-manager\n"  # an email, in any case
        "\n"
        "erin,desktop-user\n"
        "dave,sysadmin\n",
    )
    call_command("assign_role", "--csv", csv)
    assert roles_of("erin") == {ORG_MANAGERS, DESKTOP_USERS}
    assert roles_of("sam") == {DESKTOP_USERS, ORG_MANAGERS}
    assert roles_of("dave") == {DESKTOP_USERS, SYSTEM_ADMINISTRATORS}
    out = capsys.readouterr().out
    assert "Org managers: given to 2 user(s)." in out
    call_command("assign_role", "--csv", csv)  # again: nothing new, no error
    call_command("assign_role", "--csv", write(tmp_path, "sam,org-manager\n"), "--remove")
    assert roles_of("sam") == {DESKTOP_USERS}


def test_thousands_of_managers_in_one_file(orgs, tmp_path, django_assert_max_num_queries):
    managers = UserFactory.create_batch(2500, org=orgs["emea"], password=None)
    lines = "".join(f"{user.email},org-manager\n" for user in managers)
    # Three statements a thousand users (who has the role already; the others written;
    # the provider's marks of the role dropped: accounts.sso.models.roles_by_hand),
    # never one a user.
    with django_assert_max_num_queries(36):
        call_command("assign_role", "--csv", write(tmp_path, lines))
    assert Group.objects.get(name=ORG_MANAGERS).user_set.count() == 2500


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("erin,org-manager\nsam,boss\n", "line 2: unknown role 'boss'; use one of"),
        (
            "erin,org-manager\nnobody,org-manager\n",
            "line 2: no user with the username or email 'nobody'",
        ),
        (
            "erin,org-manager\nerin\n",
            "line 2: expected 2 cells (username or email, role), got ['erin']",
        ),
        ("erin,org-manager,extra\n", "line 1: expected 2 cells"),
        (
            "erin,org-manager\nERIN,org-manager\n",
            "line 2: no user with the username or email 'ERIN'",
        ),
        (
            "erin,org-manager\nshared@example.com,desktop-user\n",
            "line 2: 'shared@example.com' is the email of 2 users (erin, sam): "
            "name one by username",
        ),
        ('erin,org-manager\n"unclosed,org-manager\n', "line 2: expected 2 cells"),
    ],
)
def test_a_bad_csv_changes_nobody_and_names_the_line(personas, tmp_path, text, problem):
    for name in ("erin", "sam"):
        User.objects.filter(username=name).update(email="Shared@example.com")
    with pytest.raises(CommandError) as raised:
        call_command("assign_role", "--csv", write(tmp_path, text))
    assert problem in str(raised.value)
    assert "Nothing was changed." in str(raised.value)
    assert roles_of("erin") == set()


def test_a_csv_that_is_not_utf8_or_missing_is_said(personas, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("sørensen,org-manager\n".encode("latin-1"))
    with pytest.raises(CommandError, match="cannot be read as CSV in UTF-8"):
        call_command("assign_role", "--csv", str(path))
    with pytest.raises(CommandError, match="Cannot read .*nowhere.csv: No such file"):
        call_command("assign_role", "--csv", str(tmp_path / "nowhere.csv"))
    with pytest.raises(CommandError, match="not both"):
        call_command("assign_role", "erin", "org-manager", "--csv", str(path))


# The role matrix, with roles given by a CSV


@pytest.mark.django_db
@role_matrix_examples(15)
@given(environment=environments())
def test_roles_from_a_csv_give_the_same_rows_as_roles_given_one_by_one(
    client, tmp_path, environment
):
    parents, user_specs, devices = environment
    without_roles = (parents, [(org, set()) for org, _ in user_specs], devices)
    with transaction.atomic():
        users = build_environment(without_roles)
        lines = [
            f"{user.email if index % 2 else user.username},{role}\n"
            for index, (user, (_, roles)) in enumerate(zip(users, user_specs, strict=True))
            for role in sorted(roles)
        ]
        call_command("assign_role", "--csv", write(tmp_path, "".join(lines)))
        for user, (_, roles) in zip(users, user_specs, strict=True):
            assert roles_of(user.username) == {ROLE_GROUPS[r] for r in roles}
            expected = expected_keys(user)
            rows, totals = all_pages(client, user, page_size=3)
            assert sorted(keys_of(rows), key=str) == sorted(expected, key=str)
        transaction.set_rollback(True)
