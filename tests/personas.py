"""The dashboards' personas and fleet, shared by the dashboard and browser tests.

Registered for the whole suite by the top-level conftest.py.

On top of tests/conftest.py's org tree and people (one healthy device each):

    root   System administrators          sees everything
    alice  Org managers, Accounting       sees Accounting: alice, dave
    carol  Org managers, Americas         sees Americas and Engineering: carol, erin
    dave   Desktop users, Accounting      sees his own devices
    sam    no group, Sales                sees his own device

Extra devices, dated from the real clock so that health never drifts with the calendar:
dave's Windows laptop in warning, sam's critical laptop with an archive in cold storage,
erin's device that never backed up.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from reports.models import Archive, Device, ReportRow
from tests.factories import ArchiveFactory, DeviceFactory, UserFactory, refreshing_once

PASSWORD = "correct horse battery staple"


def ago(**delta) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


@pytest.fixture
@refreshing_once
def fleet(orgs, people) -> dict:
    """Users by name plus the devices the health tests care about."""
    Archive.objects.update(last_completed_backup_date=ago(hours=2))
    for device in Device.objects.all():
        device.last_connected_date = ago(hours=1)
        device.save()
    users = dict(people)
    users["root"] = UserFactory(username="root", org=orgs["acme"])
    for name, group in (
        ("root", SYSTEM_ADMINISTRATORS),
        ("alice", ORG_MANAGERS),
        ("carol", ORG_MANAGERS),
        ("dave", DESKTOP_USERS),
    ):
        users[name].groups.add(Group.objects.get_or_create(name=group)[0])

    warning = DeviceFactory(
        user=users["dave"],
        name="DAVE-WIN",
        os="win",
        os_version="10.0.19045",
        last_connected_date=ago(days=4),
    )
    ArchiveFactory(
        device=warning,
        last_completed_backup_date=ago(days=5),
        archive_bytes=100 * 1024**3,
        selected_bytes=120 * 1024**3,
    )
    critical = DeviceFactory(
        user=users["sam"],
        name="SAM-OLD",
        last_connected_date=ago(days=20),
        alert_states="CriticalBackupAlert CriticalConnectionAlert",
    )
    ArchiveFactory(
        device=critical,
        last_completed_backup_date=ago(days=12),
        cold_storage=True,
        cold_storage_expire_date=ago(days=-30),
        archive_bytes=7 * 1024**3,
    )
    never = DeviceFactory(user=users["erin"], name="ERIN-NEW", os="linux", os_version="6.8")
    return {
        "users": users,
        "warning": warning,
        "critical": critical,
        "never": never,
    }


def device_names_seen_by(name: str) -> set[str]:
    """What the role rule grants: the expectations every surface is checked against."""
    from accounts.models import User

    user = User.objects.get(username=name)
    return set(ReportRow.objects.visible_to(user).values_list("device_name", flat=True))


def all_device_names() -> set[str]:
    return set(ReportRow.objects.values_list("device_name", flat=True))


@pytest.fixture
def login(client, fleet):
    def sign_in(name: str):
        assert client.login(username=name, password=PASSWORD)
        return client

    return sign_in
