"""Who sees which rows through the API (spec section 4), in JSON pages, CSV and counts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.roles import ROLE_GROUPS
from tests.api_support import (
    all_pages,
    csv_keys,
    csv_table,
    expected_keys,
    get,
    keys_of,
)
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory, refreshing_once


@pytest.fixture
@refreshing_once
def fleet(orgs, personas):
    """The personas' devices, plus: a second archive, devices never backed up, and
    people in the parent orgs whom no manager below may see."""
    ArchiveFactory(device=personas["sam"].devices.get())
    DeviceFactory(user=personas["dave"], name="NEVER-BACKED-UP")
    DeviceFactory(user=personas["erin"], name="ERIN-SPARE")
    emil = UserFactory(username="emil", org=orgs["emea"])
    ArchiveFactory(device=DeviceFactory(user=emil))
    ada = UserFactory(username="ada", org=orgs["acme"])
    DeviceFactory(user=ada)
    return {**personas, "emil": emil, "ada": ada}


PERSONAS = ["alice", "carol", "dave", "sam", "erin", "emil", "sysadmin", "super"]


@pytest.mark.parametrize("name", PERSONAS)
def test_each_role_sees_exactly_its_rows_in_json_csv_and_count(client, fleet, name):
    user = fleet[name]
    expected = expected_keys(user)
    rows, totals = all_pages(client, user, page_size=2)
    assert sorted(keys_of(rows), key=str) == sorted(expected, key=str)  # each exactly once
    assert totals == {len(expected)}
    assert sorted(csv_keys(csv_table(client, user)), key=str) == sorted(expected, key=str)


def test_the_expectations_are_not_trivial(fleet):
    """Guard the matrix above against an environment where every role sees the same."""
    seen = {name: expected_keys(fleet[name]) for name in PERSONAS}
    assert seen["sysadmin"] == seen["super"]
    assert len(seen["sysadmin"]) == 10
    assert seen["dave"] < seen["alice"] < seen["sysadmin"]
    assert len(seen["dave"]) == 2  # one of them never backed up
    assert any(archive is None for _, archive in seen["dave"])


def test_org_manager_cannot_see_parent_or_sibling_org(client, fleet):
    rows, _ = all_pages(client, fleet["alice"], page_size=50)
    usernames = {row["username"] for row in rows}
    assert usernames == {"alice", "dave"}  # not sam (sibling), emil or ada (parents)
    rows, _ = all_pages(client, fleet["carol"], page_size=50)
    assert {row["username"] for row in rows} == {"carol", "erin"}


@pytest.mark.parametrize("name", PERSONAS)
def test_searches_kept_apart_from_the_rows_find_nothing_past_the_role(client, fleet, name):
    """The texts of user=, device=, org= and destination= are kept once a person, device,
    org and destination, apart from the rows: what they match outside a role's reach
    still finds no row of it."""
    user = fleet[name]
    expected = set(expected_keys(user))
    destination = fleet["sam"].devices.first().archives.first().destination.name
    queries = [
        {"org": "Sales"},
        {"org": "emea"},
        {"destination": destination},
        {"user": "sam"},
        {"device": fleet["emil"].devices.get().name},
    ]
    found = {}
    for query in queries:
        rows, totals = all_pages(client, user, page_size=50, **query)
        assert set(keys_of(rows)) <= expected, query
        assert totals == {len(rows)}
        found[str(query)] = len(rows)
    if name in ("sysadmin", "super"):  # each search matches rows: the test is not empty
        assert all(found.values()), found


def test_desktop_user_sees_only_own_devices_even_when_asking_for_others(client, fleet):
    response = get(client, fleet["dave"], orgUid="org-accounting")  # his rows name it
    assert {row["username"] for row in response.json()["data"]} == {"dave"}
    response = get(client, fleet["dave"], user="sam")
    assert response.json()["data"] == []
    assert response.json()["metadata"]["totalCount"] == 0


@pytest.mark.parametrize("name", ["dave", "alice", "carol"])
def test_an_org_out_of_reach_answers_as_an_unknown_one(client, fleet, name):
    """Its subtree's rows told whether it existed: a manager's or a desktop user's own
    rows came back for an ancestor's uid and none for a made-up one, so the chain of
    orgs above them could be mapped (found by an audit of section 7)."""
    unknown = get(client, fleet[name], orgUid="org-nosuch").json()["metadata"]["totalCount"]
    assert unknown == 0
    for org in ("org-acme", "org-emea", "org-americas", "org-sales", "org-eng"):
        response = get(client, fleet[name], orgUid=org)
        rows = response.json()["data"]
        if name == "carol" and org in ("org-americas", "org-eng"):
            assert rows, org  # her own subtree: every row in it
        else:
            assert response.json()["metadata"]["totalCount"] == unknown, org


def test_user_without_role_sees_own_devices(client, fleet):
    rows, _ = all_pages(client, fleet["erin"], page_size=50)
    assert {row["deviceName"] for row in rows} >= {"ERIN-SPARE"}
    assert {row["username"] for row in rows} == {"erin"}


def test_never_backed_up_device_is_in_the_report(client, fleet):
    rows, _ = all_pages(client, fleet["sysadmin"], page_size=50, device="never-backed")
    assert len(rows) == 1
    assert rows[0]["archiveGuid"] is None
    assert rows[0]["destinationName"] is None


@st.composite
def environments(draw):
    """A random org tree (each org's parent is an earlier org, or none); users, each in
    an org with any set of roles; devices, each with an owner and 0 to 2 archives."""
    org_count = draw(st.integers(1, 6))
    parents = [draw(st.none() | st.integers(0, i - 1)) if i else None for i in range(org_count)]
    roles = st.sets(st.sampled_from(sorted(ROLE_GROUPS)))
    users = draw(st.lists(st.tuples(st.integers(0, org_count - 1), roles), min_size=1, max_size=5))
    owners_and_archives = st.tuples(st.integers(0, len(users) - 1), st.integers(0, 2))
    devices = draw(st.lists(owners_and_archives, max_size=7))
    return parents, users, devices


def build_environment(environment, **archive_fields_of) -> list:
    """Make an environments() example: its orgs, users with their roles, devices and
    archives (the archives of the device at index i get archive_fields_of["fields"](i),
    when given). Returns the users, in order."""
    parents, user_specs, device_specs = environment
    fields = archive_fields_of.get("fields", lambda index: {})
    orgs = []
    for parent in parents:
        orgs.append(OrgFactory(parent=orgs[parent] if parent is not None else None))
    users = []
    for org_index, roles in user_specs:
        user = UserFactory(org=orgs[org_index])
        user.groups.add(*Group.objects.filter(name__in=[ROLE_GROUPS[r] for r in roles]))
        users.append(user)
    for index, (owner, archives) in enumerate(device_specs):
        device = DeviceFactory(user=users[owner])
        for _ in range(archives):
            ArchiveFactory(device=device, **fields(index))
    return users


def role_matrix_examples(examples: int) -> settings:
    """Hypothesis' settings for a role-matrix test: reproducible examples (derandomized),
    no deadline (each builds a database), function-scoped fixtures allowed (each example
    builds its environment inside a rolled-back transaction of its own)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.mark.django_db
@role_matrix_examples(20)
@given(environment=environments())
def test_random_trees_and_roles(client, environment):
    with transaction.atomic():
        users = build_environment(environment)
        for user in users:
            expected = expected_keys(user)
            rows, totals = all_pages(client, user, page_size=3)
            assert sorted(keys_of(rows), key=str) == sorted(expected, key=str)
            assert totals == {len(expected)}
        transaction.set_rollback(True)
