"""Helpers for the API tests: calling it as a vendor script does, and what a user should
see, worked out from the environment tables alone (never through visible_to)."""

from __future__ import annotations

import base64
import csv
import io

from django.test import Client

from accounts.models import Org, User
from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from reports.models import Archive, Device

API = "/api/DeviceBackupReport"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's

# The vendor's CSV header (spec section 2), written out here rather than taken from
# reports.row, so that the test does not check the code against itself.
VENDOR_COLUMNS = [
    "archiveGuid",
    "orgUid",
    "orgName",
    "orgExtRef",
    "userUid",
    "username",
    "email",
    "userExtRef",
    "deviceUid",
    "deviceName",
    "deviceOsHostname",
    "deviceExtRef",
    "destinationUid",
    "destinationName",
    "serverUid",
    "serverName",
    "version",
    "status",
    "userStatus",
    "alertStates",
    "os",
    "osVersion",
    "address",
    "remoteAddress",
    "creationDate",
    "selectedBytes",
    "backupCompletePercentage",
    "archiveBytes",
    "coldStorage",
    "lastConnectedDate",
    "lastCompletedBackupDate",
    "lastActivity",
    "mostRecentUserProfileCreationResult",
    "mostRecentUserProfileBackupResult",
]
EXTRA_COLUMNS = ["firstName", "lastName", "coldStorageExpireDate"]

RowKey = tuple[str, str | None]  # (deviceUid, archiveGuid): archiveGuid is null without archive


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def get(client: Client, user: User | None = None, /, **params) -> object:
    headers = basic(user.username) if user is not None else {}
    return client.get(API, params, **headers)


def all_pages(client: Client, user: User, /, page_size: int = 2, **params) -> tuple[list, set]:
    """Page with pgNum=1, 2, ... until data is empty, as the vendor's scripts do.

    Returns the rows in order and the totalCounts seen."""
    rows, totals = [], set()
    for page in range(1, 10_000):
        response = get(client, user, pgNum=page, pgSize=page_size, **params)
        assert response.status_code == 200, response.content
        body = response.json()
        totals.add(body["metadata"]["totalCount"])
        if not body["data"]:
            return rows, totals
        assert len(body["data"]) <= page_size
        rows.extend(body["data"])
    raise AssertionError("paging never ended")


def csv_table(client: Client, user: User, /, **params) -> list[list[str]]:
    response = get(client, user, export="csv", **params)
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def keys_of(rows: list[dict]) -> list[RowKey]:
    return [(row["deviceUid"], row["archiveGuid"]) for row in rows]


def csv_keys(table: list[list[str]]) -> list[RowKey]:
    header, *rows = table
    device, archive = header.index("deviceUid"), header.index("archiveGuid")
    return [(row[device], None if row[archive] == "null" else row[archive]) for row in rows]


def orgs_at_or_below(top_id: int) -> set[int]:
    """Walk the parent links, not the materialized path the code under test uses."""
    parent_of = dict(Org.objects.values_list("id", "parent_id"))
    below = set()
    for org_id in parent_of:
        node = org_id
        while node is not None:
            if node == top_id:
                below.add(org_id)
                break
            node = parent_of[node]
    return below


def expected_keys(user: User) -> set[RowKey]:
    """The rows spec section 4 lets this user see, from the environment tables."""
    groups = set(user.groups.values_list("name", flat=True))
    everything = user.is_superuser or SYSTEM_ADMINISTRATORS in groups
    owner_orgs: set[int] = set()
    if ORG_MANAGERS in groups and user.org_id:
        owner_orgs = orgs_at_or_below(user.org_id)
    # A desktop user, and a user in no role group, see only their own devices.
    keys = set()
    archives: dict[int, list[str]] = {}
    for device_id, guid in Archive.objects.values_list("device_id", "archive_guid"):
        archives.setdefault(device_id, []).append(guid)
    for device in Device.objects.select_related("user"):
        if everything or device.user_id == user.pk or device.user.org_id in owner_orgs:
            keys |= {(device.device_uid, guid) for guid in archives.get(device.pk, [None])}
    return keys
