"""The newest migration of the report table (0023, which took it over from 0020, 0020
from 0019, 0019 from 0013 and 0013 from 0010) rebuilds the stored records of a fleet
that is already there, so an upgraded installation exports and pages the new shape at
once, not stale records: whether it comes from before 0008 (another CSV format) or from
before 0010 (no JSON objects)."""

import json

import pytest
from django.core.management import call_command
from django.db import connection

from reports.export import csv_chunks
from reports.models import DestinationSearch, OrgSearch, ReportRow, UserSearch
from reports.query import report_query
from reports.row import ROW

pytestmark = pytest.mark.django_db(transaction=True)


def export(user, extra_columns: bool) -> bytes:
    return b"".join(csv_chunks(report_query({}, user).rows, extra_columns))


def stored_objects() -> list[dict]:
    return [
        json.loads(text)
        for text in ReportRow.objects.order_by("id").values_list("json_object", flat=True)
    ]


def encoded_rows() -> list[dict]:
    return [
        ROW.encode_dict(values)
        for values in ReportRow.objects.order_by("id").values_list(*ROW.attributes)
    ]


@pytest.mark.parametrize("since", ["0007", "0009"])
def test_0023_rebuilds_the_records_of_an_existing_fleet(people, admin_user, since):
    expected = {shape: export(admin_user, shape) for shape in (False, True)}
    try:
        call_command("migrate", "reports", since, verbosity=0)
        with connection.cursor() as cursor:  # as that migration left them: another format
            cursor.execute(
                "UPDATE reports_reportrow SET csv_line = 'stale', device_backup_date = NULL"
            )
        call_command("migrate", "reports", "0023", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)
    assert not ReportRow.objects.filter(csv_line="stale").exists()
    assert not ReportRow.objects.filter(json_object="").exists()
    assert {shape: export(admin_user, shape) for shape in (False, True)} == expected
    assert stored_objects() == encoded_rows()
    assert ReportRow.objects.count() == len(people)
    # 0013's device columns, from the rule of today's code.
    assert not ReportRow.objects.filter(device_backup_date__isnull=True).exists()
    assert not ReportRow.objects.filter(device_selected_bytes__isnull=True).exists()
    # 0023's: each device's archives summed, on every row of it.
    for row in ReportRow.objects.all():
        archived = ReportRow.objects.filter(device_id=row.device_id).values_list(
            "archive_bytes", flat=True
        )
        assert row.device_archive_bytes == sum(archived)


def test_an_upgrade_through_0023_writes_the_full_names_into_the_user_search(people):
    """Rows written before 0013/0014 lack "first last" and "last, first" in their user
    search: an upgrade from then writes the texts, kept apart since 0019, as fresh."""
    expected = sorted(UserSearch.objects.values_list("owner_id", "user_search"))
    assert any("alex åkesson" in text for _, text in expected)
    try:
        call_command("migrate", "reports", "0012", verbosity=0)
        with connection.cursor() as cursor:  # as rows written before 0013 read
            cursor.execute("UPDATE reports_reportrow SET user_search = 'old'")
        call_command("migrate", "reports", "0023", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)
    assert sorted(UserSearch.objects.values_list("owner_id", "user_search")) == expected


def test_an_upgrade_through_0023_keeps_the_org_and_destination_searches_apart(people):
    """Before 0020 the texts of orgs and destinations were on the rows: an upgrade from
    then writes them apart, as fresh, and the rows' columns go."""

    def texts() -> tuple[list, list]:
        return (
            sorted(OrgSearch.objects.values_list("org_id", "org_search")),
            sorted(DestinationSearch.objects.values_list("destination_uid", "destination_search")),
        )

    expected = texts()
    assert expected[0] and expected[1]
    try:
        call_command("migrate", "reports", "0019", verbosity=0)
        with connection.cursor() as cursor:  # as 0019 left them: on the rows
            cursor.execute("UPDATE reports_reportrow SET org_search = 'old'")
        call_command("migrate", "reports", "0023", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)
    assert texts() == expected
    columns = {
        c.name
        for c in connection.introspection.get_table_description(
            connection.cursor(), ReportRow._meta.db_table
        )
    }
    assert not columns & {"org_search", "destination_search"}
