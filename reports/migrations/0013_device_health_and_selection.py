from django.db import migrations, models

# Health per destination (spec section 11): a row's device_backup_date becomes the
# device's *stalest* destination's last completed backup (reports.health:
# device_health_date), and each row gets the device's largest selection, so that
# devices are summed once.


def write_records(apps, schema_editor):
    """Once the rebuild of a fleet that is already there (its new columns, and the
    records 0010 left to be rebuilt): 0019 does it now. The rebuild runs today's code,
    which writes every column of today's ReportRow, so it can only run in the newest
    migration of the table: the next migration that changes the row moves it there, as
    this one took it over from 0010 and 0019 from this one."""


# The per-device view (view=devices) sorts device_first rows by the device's values:
# on PostgreSQL an index each, in the order and tie-break of reports.query.ordering
# (read backwards for desc), as migration 0011's, so a first page reads no sort.
TIE_BREAK = "archive_guid ASC NULLS FIRST, device_uid ASC NULLS FIRST"
DEVICE_SORTS = {
    "row_device_sort_selected": "device_selected_bytes",
    "row_device_sort_backup": "device_backup_date",
}


def create_device_sorts(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, key in DEVICE_SORTS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON reports_reportrow "
            f"({key} ASC NULLS FIRST, {TIE_BREAK}) INCLUDE (id) WHERE device_first"
        )


def drop_device_sorts(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in DEVICE_SORTS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0012_generation_on_every_backend"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportrow",
            name="device_selected_bytes",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(write_records, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_device_sorts, drop_device_sorts),
    ]
