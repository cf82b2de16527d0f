from django.db import migrations, models

# The per-device view (view=devices) sorted by archiveBytes ordered each device by one
# of its archives, its first (2026-12-06): a device's archived bytes are its archives'
# summed (spec section 11: each destination stores its own copy), and that sum is now a
# device-wide column of every row, as its largest selection is (0013), with an index of
# its own for that sort on PostgreSQL in the order and tie-break of 0013's.
#
# Its values, and everything else of a fleet that is already there, are written by the
# rebuild that closes this migration: today's code, which writes every column of
# today's ReportRow, so only the newest migration of the table may run it (0013); this
# one took it over from 0020.
TIE_BREAK = "archive_guid ASC NULLS FIRST, device_uid ASC NULLS FIRST"
INDEX = "row_device_sort_archived"


def create_sort(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON reports_reportrow "
        f"(device_archive_bytes ASC NULLS FIRST, {TIE_BREAK}) INCLUDE (id) WHERE device_first"
    )


def drop_sort(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def write_records(apps, schema_editor):
    """Rebuild the rows of a fleet that is already there, and its search texts, as
    `manage.py rebuild_report` does (nothing to do when empty)."""
    if not apps.get_model("reports", "ReportRow").objects.exists():
        return
    from reports import read_model, read_model_sql

    # PostgreSQL's rows made by SQL: minutes less at a million devices, the same rows.
    (read_model_sql if schema_editor.connection.vendor == "postgresql" else read_model).rebuild()


class Migration(migrations.Migration):
    dependencies = [("reports", "0022_rollup_indexes_carry_device_selection")]

    operations = [
        migrations.AddField(
            model_name="reportrow",
            name="device_archive_bytes",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(create_sort, drop_sort),
        migrations.RunPython(write_records, migrations.RunPython.noop, elidable=True),
    ]
