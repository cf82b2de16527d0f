"""A rebuild on PostgreSQL fills a copy of the report table and swaps it in: the table
comes back with the same indexes, keys, trigger and sequence, and readers never wait
for the fill."""

import threading

import pytest
from django.db import connection, connections, transaction

from reports import cache, read_model
from reports.models import Archive, ReportRow
from reports.replacing import replacing
from tests.factories import ArchiveFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

TABLE = ReportRow._meta.db_table


def table_shape() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [TABLE])
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [TABLE],
        )
        triggers = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass ORDER BY 1",
            [TABLE],
        )
        constraints = cursor.fetchall()
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE %s", [f"{TABLE}__%"])
        leftovers = cursor.fetchone()[0]
    return {
        "indexes": indexes,
        "triggers": triggers,
        "constraints": constraints,
        "sequence": sequence,
        "leftovers": leftovers,
    }


def test_the_table_comes_back_the_same_and_keeps_working(people):
    before = table_shape()
    assert len(before["indexes"]) > 20 and before["triggers"] and before["sequence"]
    generation = cache.generation()
    read_model.rebuild()
    assert table_shape() == before
    assert cache.generation() > generation  # the swap counts as a write
    # The new table takes writes: an id from its sequence, the trigger moving on.
    generation = cache.generation()
    archive = ArchiveFactory(device=Archive.objects.first().device, archive_guid="after")
    assert ReportRow.objects.filter(archive_id=archive.pk).exists()
    assert cache.generation() > generation


def test_a_failure_leaves_the_table_as_it_was(people):
    before, rows = table_shape(), ReportRow.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), replacing(ReportRow):
        raise RuntimeError("the source went away")
    assert table_shape() == before
    assert ReportRow.objects.count() == rows


def test_a_table_with_foreign_keys_is_refused(people):
    with pytest.raises(ValueError, match="foreign keys"), replacing(Archive):
        pass


@pytest.mark.django_db(transaction=True)
def test_readers_do_not_wait_for_the_fill(people):
    rows = ReportRow.objects.count()
    seen = {}

    def read():
        try:
            seen["rows"] = ReportRow.objects.count()
        finally:
            connections.close_all()

    with transaction.atomic(), replacing(ReportRow):
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "a reader waited for the fill"
    assert seen == {"rows": rows}
    assert ReportRow.objects.count() == 0  # nothing was written to the copy
