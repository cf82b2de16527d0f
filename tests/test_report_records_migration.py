"""Migration 0008 rebuilds the stored CSV records of a fleet that is already there, so
an upgraded installation exports the new shape at once, not stale records."""

import pytest
from django.core.management import call_command
from django.db import connection

from reports.export import csv_chunks
from reports.models import ReportRow
from reports.query import report_query

pytestmark = pytest.mark.django_db(transaction=True)


def export(user, extra_columns: bool) -> bytes:
    return b"".join(csv_chunks(report_query({}, user).rows, extra_columns))


def test_0008_rebuilds_the_records_of_an_existing_fleet(people, admin_user):
    expected = {shape: export(admin_user, shape) for shape in (False, True)}
    try:
        call_command("migrate", "reports", "0007", verbosity=0)
        with connection.cursor() as cursor:  # as 0007 left them: another format
            cursor.execute("UPDATE reports_reportrow SET csv_line = 'stale'")
        call_command("migrate", "reports", "0008", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)
    assert not ReportRow.objects.filter(csv_line="stale").exists()
    assert {shape: export(admin_user, shape) for shape in (False, True)} == expected
    assert ReportRow.objects.count() == len(people)
