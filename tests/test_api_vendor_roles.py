"""The vendor's roles over HTTP (reports.api.roles): `/api/v1/role`, `roleId` and
`incRoles` on `/api/v1/User`, and `/api/v3/users/<uid>/roles`, each within the caller's
reach. The vendor's CLI and SDK reading them are in test_vendor_cli and test_vendor_sdk."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, ROLE_GROUPS, SYSTEM_ADMINISTRATORS
from tests.api_support import basic
from tests.factories import UserFactory
from tests.vendor_support import ROLE_MATRIX, expected_user_uids


def holders(group: str) -> set[str]:
    """From the tables, not the code under test: who is in the group, and every
    superuser besides for the System administrators."""
    users = User.objects.exclude(user_uid="").exclude(user_uid__isnull=True)
    held = set(users.filter(groups__name=group).values_list("user_uid", flat=True))
    if group == SYSTEM_ADMINISTRATORS:
        held |= set(users.filter(is_superuser=True).values_list("user_uid", flat=True))
    return held


@pytest.fixture
def superuser(fleet):
    return UserFactory(username="su", is_superuser=True, org=fleet["users"]["root"].org)


@pytest.mark.parametrize("path", ["/api/v1/role", "/api/role"])
def test_the_roles_are_the_product_s_three_groups(client, fleet, path):
    response = client.get(path, **basic("sam"))
    assert response.status_code == 200
    roles = response.json()["data"]
    assert [(r["roleId"], r["roleName"]) for r in roles] == [
        ("desktop-user", DESKTOP_USERS),
        ("org-manager", ORG_MANAGERS),
        ("sysadmin", SYSTEM_ADMINISTRATORS),
    ]
    assert all(r["permissionIds"] == [] for r in roles)


@pytest.mark.parametrize("name", ROLE_MATRIX)
@pytest.mark.parametrize("role_id", sorted(ROLE_GROUPS))
def test_role_id_keeps_the_holders_within_reach(client, fleet, superuser, name, role_id):
    caller = User.objects.get(username=name)
    response = client.get(
        "/api/v1/User", {"roleId": role_id, "pgSize": 100, "incRoles": "true"}, **basic(name)
    )
    assert response.status_code == 200, response.content
    users = response.json()["data"]["users"]
    expected = holders(ROLE_GROUPS[role_id]) & expected_user_uids(caller)
    assert {u["userUid"] for u in users} == expected
    assert response.json()["data"]["totalCount"] == len(expected)
    assert all(ROLE_GROUPS[role_id] in u["roles"] for u in users)


def test_the_count_by_role_follows_a_role_given_and_a_superuser_made(client, fleet):
    """totalCount was the count of before (kept until a report table changed; a role
    is a group), while the page listed one more (found by an audit)."""

    def counted(role_id: str) -> tuple[int, int]:
        answer = client.get("/api/v1/User", {"roleId": role_id, "pgSize": 100}, **basic("root"))
        data = answer.json()["data"]
        return data["totalCount"], len(data["users"])

    before, listed = counted("desktop-user")
    assert before == listed
    fleet["users"]["sam"].groups.add(Group.objects.get(name=DESKTOP_USERS))
    assert counted("desktop-user") == (before + 1, before + 1)
    admins, _ = counted("sysadmin")
    User.objects.filter(username="erin").update(is_superuser=True)
    assert counted("sysadmin") == (admins + 1, admins + 1)


def test_inc_roles_lists_each_user_s_roles_by_name(client, fleet, superuser):
    fleet["users"]["carol"].groups.add(Group.objects.get(name=DESKTOP_USERS))
    users = client.get("/api/v1/User", {"incRoles": "TRUE"}, **basic("root")).json()["data"]
    roles = {u["username"]: u["roles"] for u in users["users"]}
    assert roles["root"] == [SYSTEM_ADMINISTRATORS]
    assert roles["su"] == [SYSTEM_ADMINISTRATORS]  # a superuser, in no group
    assert roles["carol"] == [DESKTOP_USERS, ORG_MANAGERS]
    assert roles["dave"] == [DESKTOP_USERS]
    assert roles["sam"] == []
    without = client.get("/api/v1/User", **basic("root")).json()["data"]["users"]
    assert all("roles" not in u for u in without)


def test_a_lookup_lists_the_roles_too(client, fleet):
    for key, id_type in (("alice", "username"), (fleet["users"]["alice"].user_uid, "uid")):
        response = client.get(
            f"/api/User/{key}", {"idType": id_type, "incRoles": "true"}, **basic("alice")
        )
        assert response.json()["data"]["roles"] == [ORG_MANAGERS]


def test_an_unknown_role_is_named_and_refused(client, fleet):
    response = client.get("/api/v1/User", {"roleId": "Org managers"}, **basic("root"))
    assert response.status_code == 400
    message = response.json()["parameters"]["roleId"]
    assert "'Org managers'" in message and "desktop-user, org-manager, sysadmin" in message


@pytest.mark.parametrize("name", ROLE_MATRIX)
def test_a_user_s_roles_within_reach_and_not_found_beyond(client, fleet, superuser, name):
    caller = User.objects.get(username=name)
    visible = expected_user_uids(caller)
    for user in User.objects.exclude(user_uid=""):
        response = client.get(f"/api/v3/users/{user.user_uid}/roles", **basic(name))
        if user.user_uid not in visible:
            assert response.status_code == 404, user.username
            continue
        ids = [role["roleId"] for role in response.json()]
        assert [ROLE_GROUPS[i] for i in ids] == [
            group for group in ROLE_GROUPS.values() if user.user_uid in holders(group)
        ], user.username


def test_roles_are_read_only(client, fleet):
    uid = fleet["users"]["dave"].user_uid
    for path in ("/api/v1/role", f"/api/v3/users/{uid}/roles"):
        response = client.put(path, {"roleIds": ["sysadmin"]}, "application/json", **basic("root"))
        assert response.status_code == 405
    assert not fleet["users"]["dave"].groups.filter(name=SYSTEM_ADMINISTRATORS).exists()
