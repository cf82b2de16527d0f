"""A small fleet made by hand for finding people and orgs, and for storage rollups.

    Northwind (root)
    +-- EMEA
    |   +-- London
    |       +-- Accounting   andrew (Andrew Carter, three devices), lena
    +-- Americas
        +-- Boston
            +-- Accounting   bob (Bob Carterson)

`Accounting` under two parents is the point: the name alone cannot tell them apart.
london-manager manages London; the others have no role but their own devices.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory, refreshing_once

GIB = 1024**3
PASSWORD = "correct horse battery staple"


@pytest.fixture
@refreshing_once
def cities(db) -> dict:
    northwind = OrgFactory(org_uid="org-northwind", name="Northwind")
    emea = OrgFactory(org_uid="org-emea", name="EMEA", parent=northwind)
    london = OrgFactory(org_uid="org-london", name="London", parent=emea)
    london_accounting = OrgFactory(org_uid="org-lon-acc", name="Accounting", parent=london)
    americas = OrgFactory(org_uid="org-americas", name="Americas", parent=northwind)
    boston = OrgFactory(org_uid="org-boston", name="Boston", parent=americas)
    boston_accounting = OrgFactory(org_uid="org-bos-acc", name="Accounting", parent=boston)

    andrew = UserFactory(
        username="acarter", first_name="Andrew", last_name="Carter", org=london_accounting
    )
    lena = UserFactory(username="lena", first_name="Lena", last_name="Berg", org=london_accounting)
    bob = UserFactory(
        username="bcarterson", first_name="Bob", last_name="Carterson", org=boston_accounting
    )
    # Andrew's three devices: 10 + 20 + (5 + 7) GiB archived; the last has two archives.
    for name, archives in (
        ("LT-ACARTER-01", [10]),
        ("LT-ACARTER-02", [20]),
        ("LT-ACARTER-03", [5, 7]),
    ):
        device = DeviceFactory(user=andrew, name=name)
        for size in archives:
            ArchiveFactory(device=device, archive_bytes=size * GIB, selected_bytes=30 * GIB)
    ArchiveFactory(device=DeviceFactory(user=lena, name="LT-LENA-01"), archive_bytes=50 * GIB)
    ArchiveFactory(device=DeviceFactory(user=bob, name="LT-BOB-01"), archive_bytes=3 * GIB)

    root = UserFactory(username="root", org=northwind)
    root.groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    manager = UserFactory(username="london-manager", org=london)
    manager.groups.add(Group.objects.get(name=ORG_MANAGERS))
    return {
        "orgs": {
            "northwind": northwind,
            "emea": emea,
            "london": london,
            "london_accounting": london_accounting,
            "americas": americas,
            "boston": boston,
            "boston_accounting": boston_accounting,
        },
        "andrew": andrew,
        "lena": lena,
        "bob": bob,
        "root": root,
        "manager": manager,
    }


@pytest.fixture
def signed_in(client, cities):
    """Sign a person of the cities fleet in; the client, signed in."""

    def sign_in(username: str):
        assert client.login(username=username, password=PASSWORD)
        return client

    return sign_in
