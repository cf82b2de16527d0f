"""The report rows' stored records are compressed by lz4 on PostgreSQL (reports migration
0021): the columns say so after migrating, a rebuild's fresh table (reports.replacing)
keeps it, and a row long enough to be compressed is compressed so. PostgreSQL only."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from reports import read_model, read_model_sql
from reports.models import ReportRow
from tests.factories import ArchiveFactory, DeviceFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

RECORDS = ("csv_line", "csv_extra", "json_object")


def server_has_lz4() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        return cursor.fetchone()[0]


def column_methods() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute"
            " WHERE attrelid = 'reports_reportrow'::regclass AND attname = ANY(%s)",
            [list(RECORDS)],
        )
        return dict(cursor.fetchall())


def stored_methods() -> set[str | None]:
    """How each row's JSON object is stored: 'lz4', 'pglz', or None (not compressed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT pg_column_compression(json_object) FROM reports_reportrow")
        return {method for (method,) in cursor.fetchall()}


@pytest.fixture
def long_rows(db):
    """Rows past the 2 kB at which PostgreSQL compresses: long names that repeat."""
    for n in range(3):
        long = f"workstation {n} " * 12  # under the columns' 200 characters
        device = DeviceFactory(name=long, os_hostname=long, ext_ref=long)
        ArchiveFactory(device=device)


@pytest.fixture
def lz4(db):
    if not server_has_lz4():
        pytest.skip("this PostgreSQL was built without lz4")


@pytest.mark.parametrize("rebuild", [read_model_sql.rebuild, read_model.rebuild])
def test_a_rebuild_keeps_the_records_compressed_by_lz4(lz4, long_rows, rebuild):
    assert column_methods() == dict.fromkeys(RECORDS, "l")
    rebuild()
    assert column_methods() == dict.fromkeys(RECORDS, "l")  # the swapped-in copy's
    assert ReportRow.objects.count() == 3
    assert stored_methods() == {"lz4"}


def test_rows_written_as_devices_change_are_lz4(lz4, long_rows):
    """The fixture's rows are written one device at a time (reports.signals)."""
    assert ReportRow.objects.count() == 3
    assert stored_methods() == {"lz4"}


@pytest.mark.django_db(transaction=True)
def test_migrating_back_gives_the_columns_the_default_again():
    try:
        call_command("migrate", "reports", "0020", verbosity=0)
        assert column_methods() == dict.fromkeys(RECORDS, "")  # the server's default
    finally:
        call_command("migrate", verbosity=0)
    assert column_methods() == dict.fromkeys(RECORDS, "l" if server_has_lz4() else "")
