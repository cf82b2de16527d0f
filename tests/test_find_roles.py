"""The role matrix over finding (spec sections 4 and 11): over random org trees, names
and roles, the org picker suggests only orgs within the viewer's reach, each named
from there, and the storage rollups sum exactly the devices the viewer may see."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from accounts import org_paths
from accounts.models import Org
from reports.models import Archive, Device
from tests.test_api_roles import build_environment, environments, role_matrix_examples
from tests.test_history_roles import orgs_granted

# Few names, so that they repeat across the tree as real ones do.
NAMES = ("Accounting", "Sales", "London", "EMEA")


def signed_in(client, user):
    client.force_login(user)
    return client


def expected_names(org: Org, granted: set[int]) -> list[str]:
    """The org's path of names from the highest org of the reach down: independently
    of accounts.org_names."""
    chain = [pk for pk in org_paths.pks(org.path) if pk in granted]
    names = dict(Org.objects.filter(pk__in=chain).values_list("pk", "name"))
    return [names[pk] for pk in chain]


def visible_devices(user, granted: set[int]):
    return Device.objects.filter(user__org__in=granted) | Device.objects.filter(user=user)


def exported(client, per: str) -> list[dict]:
    response = client.get(f"/reports/disk-usage/by-{per}/", {"export": "csv"})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
@role_matrix_examples(15)
@given(environment=environments(), names=st.lists(st.sampled_from(NAMES), min_size=6, max_size=6))
def test_the_org_picker_suggests_only_orgs_in_reach(client, environment, names):
    with transaction.atomic():
        users = build_environment(environment)
        for org, name in zip(Org.objects.order_by("pk"), names, strict=False):
            org.name = name
            org.save()
        for user in users:
            granted = orgs_granted(user)
            client = signed_in(client, user)
            for typed in (*NAMES, "a", "o"):
                response = client.get("/orgs/suggestions/", {"q": typed})
                assert response.status_code == 200
                for suggestion in response.json()["orgs"]:
                    org = Org.objects.get(org_uid=suggestion["orgUid"])
                    assert org.pk in granted, (user.username, suggestion)
                    assert suggestion["path"] == " › ".join(expected_names(org, granted))
            wanted = {o.org_uid for o in Org.objects.filter(pk__in=granted, name="Accounting")}
            found = client.get("/orgs/suggestions/", {"q": "Accounting"}).json()["orgs"]
            assert {o["orgUid"] for o in found} == wanted
        transaction.set_rollback(True)


@pytest.mark.django_db
@role_matrix_examples(15)
@given(environment=environments())
def test_the_rollups_sum_exactly_the_devices_in_reach(client, environment):
    with transaction.atomic():
        users = build_environment(environment)
        for user in users:
            granted = orgs_granted(user)
            devices = visible_devices(user, granted)
            per_user, per_org = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
            for device in devices.select_related("user__org"):
                archived = sum(a.archive_bytes for a in Archive.objects.filter(device=device))
                for totals, key in (
                    (per_user, device.user.username),
                    (per_org, device.user.org.org_uid),
                ):
                    totals[key][0] += 1
                    totals[key][1] += archived
            client = signed_in(client, user)
            rows = exported(client, "user")
            assert {r["username"]: [int(r["devices"]), int(r["archiveBytes"])] for r in rows} == {
                name: totals for name, totals in per_user.items()
            }
            rows = exported(client, "org")
            assert {r["orgUid"]: [int(r["devices"]), int(r["archiveBytes"])] for r in rows} == {
                uid: totals for uid, totals in per_org.items()
            }
            outside = set(Org.objects.exclude(pk__in=granted).values_list("org_uid", flat=True))
            own_org = user.org.org_uid
            assert not ({r["orgUid"] for r in rows} & (outside - {own_org}))
        transaction.set_rollback(True)
