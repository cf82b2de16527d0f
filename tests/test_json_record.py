"""Each report row stores its JSON object; an API page is those objects joined. The
stored text is exactly the encoding of the row's columns, whatever the data holds, an
edit reaches it, and the page is byte for byte what encoding every row gave before."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.http import JsonResponse

from reports.api.views import total_count
from reports.models import Device, ReportRow
from reports.query import report_query
from reports.row import ROW, encode_datetime
from tests.api_support import get
from tests.factories import ArchiveFactory, DeviceFactory, UserFactory, refreshing_once

ROCKET = "\U0001f680"


@pytest.fixture
@refreshing_once
def awkward_rows(personas, orgs):
    """Quotes, backslashes, line breaks, control characters (not NUL: PostgreSQL text
    holds none), non-ASCII and emoji."""
    tricky = UserFactory(
        username='q"uote\\back',
        first_name=f"Zoë {ROCKET}",
        last_name="Łukasz\nsecond line\r\n",
        email="soh\x01bell\x07@example.com",
        org=orgs["sales"],
    )
    device = DeviceFactory(
        user=tricky,
        name="tab\tunit\x1fsep\x7fdel",
        os_hostname="\u2028line\u2029para",
        address="C:\\new\\table",
        creation_date=dt.datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=dt.UTC),
        last_connected_date=None,
    )
    ArchiveFactory(device=device, archive_guid="a-1", backup_complete_percentage=99.95)
    ArchiveFactory(device=device, archive_guid="a-2", most_recent_user_profile_backup_result="")
    DeviceFactory(user=tricky, name="never backed up")
    return tricky


def encoded(row_values) -> str:
    return json.dumps(ROW.encode_dict(row_values))


def assert_stored_objects_are_the_encoding() -> None:
    rows = list(ReportRow.objects.values_list("json_object", *ROW.attributes))
    assert rows
    for stored, *values in rows:
        assert stored == encoded(values)
        assert stored.isascii()
        assert json.loads(stored) == ROW.encode_dict(values)


def test_the_stored_object_is_the_encoding_of_the_columns(awkward_rows):
    assert_stored_objects_are_the_encoding()
    row = ReportRow.objects.get(archive_guid="a-1")
    parsed = json.loads(row.json_object)
    assert parsed["username"] == 'q"uote\\back'
    assert parsed["lastName"] == "Łukasz\nsecond line\r\n"
    assert parsed["firstName"] == f"Zoë {ROCKET}"
    assert parsed["email"] == "soh\x01bell\x07@example.com"
    assert parsed["backupCompletePercentage"] == "100.0"
    assert parsed["lastConnectedDate"] is None
    assert list(parsed) == list(ROW.names)
    assert "\\ud83d\\ude80" in row.json_object


def test_edits_to_a_device_a_user_and_an_org_reach_the_stored_object(awkward_rows, orgs):
    awkward_rows.last_name = "Renamed"
    awkward_rows.save()
    device = Device.objects.get(name="never backed up")
    device.name = f"Renamed {ROCKET}"
    device.save()
    sales = orgs["sales"]
    sales.name = 'Sales "West"'
    sales.save()
    objects = [json.loads(text) for text in ReportRow.objects.values_list("json_object", flat=True)]
    mine = [row for row in objects if row["username"] == 'q"uote\\back']
    assert {row["lastName"] for row in mine} == {"Renamed"}
    assert f"Renamed {ROCKET}" in {row["deviceName"] for row in mine}
    assert {row["orgName"] for row in objects if row["orgUid"] == "org-sales"} == {'Sales "West"'}
    assert_stored_objects_are_the_encoding()


def page_as_encoded_before(user, params: dict) -> bytes:
    """The page as the API wrote it before rows were stored: every field encoded."""
    query = report_query(params, user)
    return JsonResponse(
        {
            "metadata": {
                "timestamp": encode_datetime(dt.datetime.now(dt.UTC)),
                "params": query.params,
                "pgNum": query.page_number,
                "pgSize": query.page_size,
                "totalCount": total_count(query),
            },
            "data": [ROW.encode_dict(v) for v in query.page().values_list(*ROW.attributes)],
        }
    ).content


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"pgSize": "2", "pgNum": "3"},
        {"pgSize": "3", "pgNum": "2", "srtKey": "lastName", "srtDir": "desc"},
        {"user": "łukasz", "pgSize": "1", "pgNum": "2"},
        {"pgSize": "5", "pgNum": "999"},
    ],
)
@pytest.mark.parametrize("persona", ["sysadmin", "alice", "carol", "sam"])
def test_a_page_is_byte_for_byte_what_encoding_every_row_gave(
    client, awkward_rows, personas, params, persona
):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        response = get(client, personas[persona], **params)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.content == page_as_encoded_before(personas[persona], params)


def test_paging_deep_gives_every_visible_row_once_in_order(client, awkward_rows, personas):
    sysadmin = personas["sysadmin"]
    whole = get(client, sysadmin, pgSize="1000", srtKey="deviceName").json()["data"]
    paged = []
    for number in range(1, len(whole) + 2):
        paged += get(client, sysadmin, pgSize="2", pgNum=str(number), srtKey="deviceName").json()[
            "data"
        ]
    assert paged == whole
    assert len(whole) == ReportRow.objects.count()
