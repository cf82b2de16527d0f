"""The legacy date format (spec section 14): an account (a user or an API client) that
asks for it gets every date of /api/DeviceBackupReport as older vendor servers wrote
them; every other account is unchanged."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest

from accounts.api_clients import ApiClient
from reports.importing import values
from reports.row import ROW, encode_legacy_datetime
from tests.api_support import API, basic

LEGACY = "%b %d, %Y %I:%M:%S %p"  # what check_crashplan_backup.py parses
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def client_basic(client_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def dates_of(body: dict) -> list[str]:
    return [row[name] for row in body["data"] for name in ROW.date_names if row[name] is not None]


@pytest.fixture
def legacy_root(fleet):
    root = fleet["users"]["root"]
    root.legacy_dates = True
    root.save()
    return root


def test_the_format_is_the_vendors_old_one(settings):
    settings.TIME_ZONE = "UTC"
    moment = dt.datetime(2026, 11, 19, 3, 9, 38, 999_000, tzinfo=dt.UTC)
    assert encode_legacy_datetime(moment) == "Nov 19, 2026 3:09:38 AM"
    assert encode_legacy_datetime(moment.replace(hour=0)) == "Nov 19, 2026 12:09:38 AM"
    assert encode_legacy_datetime(moment.replace(hour=12)) == "Nov 19, 2026 12:09:38 PM"
    assert encode_legacy_datetime(moment.replace(hour=23, day=1)) == "Nov 1, 2026 11:09:38 PM"


@pytest.mark.parametrize("year", [999, 1])
def test_a_year_before_1000_has_four_digits_and_reads_back(settings, year):
    """yyyy is four digits at least: "Mar 4, 999" parsed with neither the scripts'
    strptime (%Y) nor this product's own import of the legacy form."""
    settings.TIME_ZONE = "UTC"
    moment = dt.datetime(year, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    written = encode_legacy_datetime(moment)
    assert written == f"Mar 4, {year:04} 5:06:07 AM"
    assert dt.datetime.strptime(written, LEGACY) == moment.replace(tzinfo=None)
    assert values.datetime(written) == moment


@pytest.mark.parametrize("params", [{"pgSize": 100}, {"pgSize": 3, "pgNum": 2}, {"active": "true"}])
def test_every_date_written_parses_as_the_nagios_check_parses_it(client, legacy_root, params):
    iso = client.get(API, {"pgSize": 100}, **basic("carol")).json()
    legacy = client.get(API, params, **basic("root")).json()
    dates = dates_of(legacy)
    assert len(dates) >= 2 * len(legacy["data"]) > 0  # a creation and a last-connected date
    for value in dates:
        dt.datetime.strptime(value, LEGACY)
    dt.datetime.strptime(legacy["metadata"]["timestamp"], LEGACY)
    assert iso["data"]  # carol is unchanged
    assert all(ISO.fullmatch(value) for value in dates_of(iso))


def test_the_legacy_dates_are_the_same_moments(client, legacy_root, fleet):
    sam = fleet["users"]["sam"]
    sam_rows = {r["archiveGuid"]: r for r in client.get(API, **basic("sam")).json()["data"]}
    legacy_rows = client.get(API, {"pgSize": 100}, **basic("root")).json()["data"]
    compared = 0
    for row in legacy_rows:
        if row["archiveGuid"] in sam_rows:
            for name in ROW.date_names:
                iso = sam_rows[row["archiveGuid"]][name]
                if iso is None:
                    assert row[name] is None
                    continue
                moment = dt.datetime.fromisoformat(iso).replace(microsecond=0, tzinfo=None)
                assert dt.datetime.strptime(row[name], LEGACY) == moment
                compared += 1
    assert compared >= 4 and sam.legacy_dates is False


def test_other_accounts_are_unchanged_byte_for_byte(client, fleet):
    before = client.get(API, {"pgSize": 100}, **basic("alice")).content
    root = fleet["users"]["root"]
    root.legacy_dates = True
    root.save()
    client.get(API, {"pgSize": 100}, **basic("root"))
    after = client.get(API, {"pgSize": 100}, **basic("alice")).content
    strip = re.compile(rb'"timestamp": "[^"]*"')
    assert strip.sub(b"", after) == strip.sub(b"", before)
    assert ISO.search(after.decode())


def test_an_api_client_has_its_own_setting(client, fleet):
    root = fleet["users"]["root"]
    legacy_client, legacy_secret = ApiClient.objects.create_for(root, "nagios", legacy_dates=True)
    plain_client, plain_secret = ApiClient.objects.create_for(root, "export")
    legacy = client.get(API, **client_basic(legacy_client.client_id, legacy_secret)).json()
    plain = client.get(API, **client_basic(plain_client.client_id, plain_secret)).json()
    as_root = client.get(API, **basic("root")).json()
    for value in dates_of(legacy):
        dt.datetime.strptime(value, LEGACY)
    assert all(ISO.fullmatch(v) for v in dates_of(plain) + dates_of(as_root))


def test_the_two_formats_never_share_an_etag(client, legacy_root):
    legacy = client.get(API, **basic("root"))
    assert legacy["ETag"].endswith('-legacy-dates"')
    again = client.get(API, HTTP_IF_NONE_MATCH=legacy["ETag"], **basic("root"))
    assert again.status_code in (200, 304)  # 304 where pages are kept (PostgreSQL)
    iso_tag = legacy["ETag"].replace("-legacy-dates", "")
    # An ISO page's tag never answers 304 to a legacy caller: the bytes differ.
    assert client.get(API, HTTP_IF_NONE_MATCH=iso_tag, **basic("root")).status_code == 200


def test_off_by_default(fleet):
    assert not any(user.legacy_dates for user in fleet["users"].values())
    assert ApiClient._meta.get_field("legacy_dates").default is False


@pytest.mark.parametrize(
    ("zone", "moment", "written"),
    [
        ("America/New_York", dt.datetime(1, 1, 1, 2, tzinfo=dt.UTC), "Jan 1, 0001 2:00:00 AM"),
        ("Asia/Tokyo", dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC), "Dec 31, 9999 11:00:00 PM"),
    ],
)
def test_a_date_the_zone_would_put_outside_the_calendar_is_written_in_utc(
    client, legacy_root, fleet, settings, zone, moment, written
):
    """The import takes years 1 to 9999 in UTC; the server's zone moved an imported
    0001-01-01 before the year 1, an OverflowError: every page holding it a 500 to a
    legacy account."""
    settings.TIME_ZONE = zone
    device = fleet["warning"]
    device.creation_date = moment
    device.save()
    answer = client.get(API, {"deviceUid": device.device_uid}, **basic("root"))
    assert answer.status_code == 200
    assert {row["creationDate"] for row in answer.json()["data"]} == {written}
