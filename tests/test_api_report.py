"""GET /api/DeviceBackupReport as vendor scripts call it (spec section 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reports.models import Device
from tests.api_support import (
    API,
    EXTRA_COLUMNS,
    PASSWORD,
    VENDOR_COLUMNS,
    all_pages,
    basic,
    csv_keys,
    csv_table,
    get,
    keys_of,
)
from tests.factories import ArchiveFactory, DeviceFactory, UserFactory, refreshing_once


@pytest.fixture
@refreshing_once
def fleet(personas):
    """Rows with ties in every field and nulls in many: the factories' defaults repeat."""
    sam = personas["sam"]
    ArchiveFactory(device=sam.devices.get(), cold_storage=True, archive_bytes=None)
    for index in range(4):
        DeviceFactory(user=personas["dave"], last_connected_date=None, os="win")
        ArchiveFactory(
            device=DeviceFactory(user=personas["erin"], os="linux"),
            archive_bytes=index * 1000,
        )
    return personas


def test_it_works(client, fleet):
    response = get(client, fleet["sysadmin"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["metadata", "data"]
    metadata = body["metadata"]
    assert list(metadata) == ["timestamp", "params", "pgNum", "pgSize", "totalCount"]
    assert metadata["pgNum"] == 1
    assert metadata["pgSize"] == 1000
    assert metadata["totalCount"] == len(body["data"]) == 14
    assert metadata["timestamp"].endswith("Z")
    assert list(body["data"][0]) == VENDOR_COLUMNS + EXTRA_COLUMNS


# Vendor-client compatibility


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_paging_gets_every_row_exactly_once_under_every_sort(client, fleet, direction):
    sysadmin = fleet["sysadmin"]
    everything = {
        (row["deviceUid"], row["archiveGuid"]) for row in get(client, sysadmin).json()["data"]
    }
    for key in VENDOR_COLUMNS + EXTRA_COLUMNS:
        rows, totals = all_pages(client, sysadmin, page_size=3, srtKey=key, srtDir=direction)
        keys = keys_of(rows)
        assert len(keys) == len(set(keys)) == len(everything), key
        assert set(keys) == everything, key
        assert totals == {len(everything)}, key
        one_page = get(client, sysadmin, srtKey=key, srtDir=direction).json()["data"]
        assert keys == keys_of(one_page), key  # the order does not depend on the page size


def test_csv_has_exactly_the_vendor_columns_in_order(client, fleet):
    header, *rows = csv_table(client, fleet["sysadmin"])
    assert header == VENDOR_COLUMNS
    assert len(rows) == 14
    assert all(len(row) == 34 for row in rows)
    # A vendor script reads by position: column 5 is username, column 8 deviceUid.
    assert {row[5] for row in rows} >= {"alice", "dave"}
    assert {row[8] for row in rows} == set(Device.objects.values_list("device_uid", flat=True))


def test_extra_columns_asks_for_the_three_extras_after_the_vendors(client, fleet):
    header, *rows = csv_table(client, fleet["sysadmin"], extraColumns="true")
    assert header == VENDOR_COLUMNS + EXTRA_COLUMNS
    assert len(rows) == 14
    assert all(len(row) == 37 for row in rows)


def test_csv_is_a_streaming_download(client, fleet):
    response = get(client, fleet["sysadmin"], export="CSV", pgSize=1)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="DeviceBackupReport-')
    assert response["Content-Disposition"].endswith('.csv"')
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 15  # no paging in an export


def test_csv_follows_the_sort_and_filters(client, fleet):
    table = csv_table(client, fleet["sysadmin"], srtKey="archiveBytes", srtDir="desc", os="linux")
    json_rows = get(client, fleet["sysadmin"], srtKey="archiveBytes", srtDir="desc", os="linux")
    assert csv_keys(table) == keys_of(json_rows.json()["data"])
    assert len(table) == 5


# Tolerances


@pytest.mark.parametrize(
    "query",
    ["active=True", "active=TRUE", "?&active=true", "active=true&os=", "os=&user=&srtKey="],
)
def test_tolerated_parameters(client, fleet, query):
    response = client.get(f"{API}?{query.lstrip('?')}", **basic("sysadmin"))
    assert response.status_code == 200
    assert response.json()["metadata"]["totalCount"] == 14


def test_empty_parameters_are_ignored_and_not_echoed(client, fleet):
    response = client.get(f"{API}?&active=true&os=", **basic("sysadmin"))
    params = response.json()["metadata"]["params"]
    assert params == {"active": "true", "srtDir": "asc", "pgNum": 1, "pgSize": 1000}


def test_unknown_parameters_are_ignored(client, fleet):
    response = get(client, fleet["sysadmin"], nosuch="x", srtkey="nosuch")
    assert response.status_code == 200
    assert "nosuch" not in response.json()["metadata"]["params"]


def test_a_page_past_the_last_one_is_empty(client, fleet):
    for page in (2, 10**30):
        response = get(client, fleet["sysadmin"], pgNum=page)
        assert response.status_code == 200
        assert response.json()["data"] == []
        assert response.json()["metadata"]["totalCount"] == 14


def test_page_size_is_capped_at_1000(client, fleet):
    response = get(client, fleet["sysadmin"], pgSize=5000)
    assert response.json()["metadata"]["pgSize"] == 1000
    assert response.json()["metadata"]["params"]["pgSize"] == 1000


def test_a_get_with_a_json_body_is_served(client, fleet):
    response = client.generic(
        "GET", API, data=b"{}", content_type="application/json", **basic("sysadmin")
    )
    assert response.status_code == 200
    assert response.json()["metadata"]["totalCount"] == 14


def test_head_is_allowed(client, fleet):
    response = client.head(API, **basic("sysadmin"))
    assert response.status_code == 200


# Bad values


@pytest.mark.parametrize(
    ("parameter", "value", "accepted"),
    [
        ("srtKey", "nosuch", "archiveGuid"),
        ("srtDir", "up", "asc, desc"),
        ("pgNum", "0", "1 or more"),
        ("pgNum", "1_0", "1 or more"),
        ("pgSize", "-5", "1 or more"),
        ("active", "maybe", "true or false"),
        ("alerted", "yes", "true or false"),
        ("coldStorage", "1", "true or false"),
        ("export", "xml", "csv"),
        ("extraColumns", "maybe", "true or false"),
        ("user", "a\x00b", "NUL character"),  # backupreport.edge
    ],
)
def test_a_bad_value_answers_400_naming_the_parameter(client, fleet, parameter, value, accepted):
    response = get(client, fleet["sysadmin"], **{parameter: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "invalid parameters"
    assert list(body["parameters"]) == [parameter]
    assert accepted in body["parameters"][parameter]


def test_every_bad_parameter_is_named_at_once(client, fleet):
    response = get(client, fleet["sysadmin"], srtKey="nosuch", pgNum="0", export="xml")
    assert set(response.json()["parameters"]) == {"srtKey", "pgNum", "export"}


# Authentication and methods


def test_basic_auth_works(client, fleet):
    assert get(client, fleet["dave"]).status_code == 200


def test_session_auth_works(client, fleet):
    client.force_login(fleet["dave"])
    response = client.get(API)
    assert response.status_code == 200
    assert {row["username"] for row in response.json()["data"]} == {"dave"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("dave", "wrong password"),
        basic("nobody"),
        {"HTTP_AUTHORIZATION": "Basic !!!not-base64"},
        {"HTTP_AUTHORIZATION": "Bearer abc"},
    ],
)
def test_no_or_wrong_credentials_answer_401_with_a_basic_challenge(client, fleet, headers):
    response = client.get(API, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="Backup Report"'
    assert response.json()["error"] == "authentication required"


def test_wrong_basic_credentials_win_over_a_session(client, fleet):
    client.force_login(fleet["sysadmin"])
    assert client.get(API, **basic("dave", "wrong")).status_code == 401


def test_an_inactive_user_cannot_use_basic_auth(client, fleet):
    dave = fleet["dave"]
    dave.is_active = False
    dave.save()
    assert get(client, dave).status_code == 401


@pytest.fixture
def password_checks(monkeypatch):
    """Counts the runs of the (slow on purpose) password hasher."""
    from accounts.models import User
    from reports.api.authentication import recently_verified

    recently_verified.forget()
    checks = []
    check_password = User.check_password

    def counted(user, raw_password):
        checks.append(user.username)
        return check_password(user, raw_password)

    monkeypatch.setattr(User, "check_password", counted)
    return checks


def test_basic_credentials_are_hashed_once_for_a_paging_script(client, fleet, password_checks):
    for page in (1, 2, 3):
        assert get(client, fleet["dave"], pgNum=page).status_code == 200
    assert password_checks == ["dave"]


def test_a_wrong_password_is_never_taken_for_a_recent_right_one(client, fleet, password_checks):
    assert get(client, fleet["dave"]).status_code == 200
    assert client.get(API, **basic("dave", "wrong")).status_code == 401
    assert client.get(API, **basic("dave", "wrong")).status_code == 401
    assert password_checks == ["dave"] * 3


def test_a_changed_password_or_a_deactivation_ends_recent_credentials(
    client, fleet, password_checks
):
    dave = fleet["dave"]
    assert get(client, dave).status_code == 200
    dave.set_password("a new one")
    dave.save()
    assert get(client, dave).status_code == 401
    assert client.get(API, **basic("dave", "a new one")).status_code == 200
    dave.is_active = False
    dave.save()
    assert client.get(API, **basic("dave", "a new one")).status_code == 401


def test_recent_credentials_last_while_used_and_end_when_idle(fleet):
    from reports.api.authentication import RecentlyVerified

    now = [0.0]
    recent = RecentlyVerified(seconds=300, clock=lambda: now[0])
    dave = fleet["dave"]
    recent.remember(dave, "dave", PASSWORD)
    for now[0] in (200.0, 400.0, 650.0):  # each use within 300 s of the one before
        assert recent.user("dave", PASSWORD) == dave
    assert recent.user("dave", "another password") is None
    now[0] = 951.0  # idle for 301 s
    assert recent.user("dave", PASSWORD) is None
    now[0] = 952.0
    assert recent.user("dave", PASSWORD) is None  # forgotten, not merely expired


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_it_rejects_other_methods(method, fleet):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(API, **basic("sysadmin"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["error"] == "method not allowed"


def test_post_is_405_even_without_credentials(client, db):
    assert client.post(API).status_code == 405


# Searches and filters


@pytest.mark.parametrize(
    ("query", "usernames"),
    [
        ({"user": "ÅKES"}, {"alice"}),
        ({"user": "sørensen"}, {"sam"}),
        ({"user": "SØR"}, {"sam"}),
        ({"user": "DAVE@EXAMPLE"}, {"dave"}),
        ({"org": "accoun"}, {"alice", "dave"}),
        ({"orgUid": "org-emea"}, {"alice", "dave", "sam"}),
        ({"orgUid": "org-americas"}, {"carol", "erin"}),
        ({"orgUid": "org-nosuch"}, set()),
        ({"os": "WIN"}, {"dave"}),
        ({"os": "14.6", "alerted": "false"}, {"alice", "dave", "sam", "carol", "erin"}),
        ({"coldStorage": "TRUE"}, {"sam"}),
        ({"active": "false"}, set()),
        ({"destination": "cloud us"}, {"alice", "dave", "sam", "carol", "erin"}),
    ],
)
def test_filters(client, fleet, query, usernames):
    rows, _ = all_pages(client, fleet["sysadmin"], page_size=100, **query)
    assert {row["username"] for row in rows} == usernames


def test_user_finds_a_user_by_ext_ref(client, fleet):
    UserFactory(username="pat", user_ext_ref="1001", org=fleet["dave"].org)
    DeviceFactory(user=UserFactory._meta.model.objects.get(username="pat"))
    rows, _ = all_pages(client, fleet["sysadmin"], page_size=100, user="1001")
    assert {row["username"] for row in rows} == {"pat"}
    assert rows[0]["userExtRef"] == "1001"


def test_exact_uids(client, fleet):
    device = fleet["alice"].devices.get()
    archive = device.archives.get()
    for params in (
        {"deviceUid": device.device_uid},
        {"archiveGuid": archive.archive_guid},
        {"userUid": fleet["alice"].user_uid},
    ):
        rows = get(client, fleet["sysadmin"], **params).json()["data"]
        assert {row["username"] for row in rows} == {"alice"}
    assert get(client, fleet["sysadmin"], deviceUid=device.device_uid[:-1]).json()["data"] == []


def test_alerted(client, fleet):
    device = fleet["carol"].devices.get()
    device.alert_states = "OK WarningBackupAlert"
    device.save()
    rows = get(client, fleet["sysadmin"], alerted="True").json()["data"]
    assert {row["username"] for row in rows} == {"carol"}
    assert rows[0]["alertStates"] == "OK WarningBackupAlert"


def test_never_connected_devices_sort_first_ascending_and_last_descending(client, fleet):
    rows = get(client, fleet["sysadmin"], srtKey="lastConnectedDate").json()["data"]
    dates = [row["lastConnectedDate"] for row in rows]
    assert dates[:4] == [None] * 4
    assert None not in dates[4:]
    assert dates[4:] == sorted(dates[4:])
    rows = get(client, fleet["sysadmin"], srtKey="lastConnectedDate", srtDir="DESC").json()
    dates = [row["lastConnectedDate"] for row in rows["data"]]
    assert dates[-4:] == [None] * 4
    assert dates[:-4] == sorted(dates[:-4], reverse=True)


def test_numbers_sort_as_numbers(client, fleet):
    rows = get(client, fleet["sysadmin"], srtKey="archiveBytes", srtDir="desc").json()["data"]
    values = [row["archiveBytes"] for row in rows]
    numbers = [int(v) for v in values if v is not None]
    assert numbers == sorted(numbers, reverse=True)
    assert values[-1] is None


# Encoding


def test_values_are_encoded_as_vendor_clients_expect(client, personas):
    device = DeviceFactory(
        user=personas["dave"],
        name='=HYPERLINK("http://x")',
        os_hostname="+1 host",
        ext_ref="-2",
        address="@SUM(1)",
        os_version="\tlead",
        version="\rlead",
        last_connected_date=dt.datetime(2026, 11, 28, 14, 3, 7, 120_999, tzinfo=dt.UTC),
        creation_date=None,
    )
    ArchiveFactory(
        device=device,
        archive_guid="42",
        selected_bytes=524288000,
        archive_bytes=0,
        backup_complete_percentage=99.5,
        cold_storage=True,
        last_completed_backup_date=dt.datetime(2026, 11, 28, 14, 3, 7, tzinfo=dt.UTC),
        cold_storage_expire_date=dt.datetime(2026, 12, 28, 12, 0, tzinfo=dt.UTC),
    )
    bare = DeviceFactory(user=personas["dave"], name="BARE", last_connected_date=None)
    rows = {row["deviceName"]: row for row in get(client, personas["sysadmin"]).json()["data"]}
    row = rows[device.name]
    assert row["selectedBytes"] == "524288000"
    assert row["archiveBytes"] == "0"
    assert row["backupCompletePercentage"] == "99.5"
    assert row["coldStorage"] == "true"
    assert row["lastCompletedBackupDate"] == "2026-11-28T14:03:07.000Z"
    assert row["lastConnectedDate"] == "2026-11-28T14:03:07.120Z"
    assert row["coldStorageExpireDate"] == "2026-12-28T12:00:00.000Z"
    assert row["creationDate"] is None
    assert row["mostRecentUserProfileBackupResult"] is None  # empty text is missing
    assert rows["BARE"]["archiveGuid"] is None
    assert rows["BARE"]["coldStorage"] is None
    assert rows[personas["alice"].devices.get().name]["coldStorage"] == "false"
    assert all(isinstance(v, str | None) for r in rows.values() for v in r.values())

    header, *lines = csv_table(client, personas["sysadmin"], srtKey="archiveGuid", srtDir="desc")
    cell = dict(zip(header, next(line for line in lines if line[0] == "42"), strict=True))
    assert cell["deviceName"] == '\'=HYPERLINK("http://x")'
    assert cell["deviceOsHostname"] == "'+1 host"
    assert cell["deviceExtRef"] == "'-2"
    assert cell["address"] == "'@SUM(1)"
    assert cell["osVersion"] == "'\tlead"
    assert cell["version"] == "'\rlead"
    assert cell["selectedBytes"] == "524288000"
    assert cell["lastCompletedBackupDate"] == "2026-11-28T14:03:07.000Z"
    assert cell["creationDate"] == "null"  # the vendor's word for a missing value
    bare_cells = dict(zip(header, next(line for line in lines if line[9] == "BARE"), strict=True))
    assert bare_cells["archiveGuid"] == bare_cells["destinationName"] == "null"
    assert bare.device_uid == bare_cells["deviceUid"]
    # JSON keeps the value itself: escaping is for spreadsheets.
    assert rows[device.name]["deviceName"] == device.name


def test_the_schema_is_public(client, db):
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    assert "/api/DeviceBackupReport" in response.json()["paths"]
