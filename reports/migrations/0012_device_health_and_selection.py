from django.db import migrations, models

# Health per destination (spec section 11): a row's device_backup_date becomes the
# device's *stalest* destination's last completed backup (reports.health:
# device_health_date), and each row gets the device's largest selection, so that
# devices are summed once. Existing rows are recomputed here, in SQL, by the very rule
# (kept as its own copy: a migration must not follow later code): none completed ->
# null; some completed and another never -> the "missing copy" date; else the oldest.
MISSING_COPY = "1970-01-01 00:00:00"

RECOMPUTE = """
UPDATE reports_reportrow SET
  device_selected_bytes = (
    SELECT MAX(r.selected_bytes) FROM reports_reportrow r
    WHERE r.device_id = reports_reportrow.device_id
  ),
  device_backup_date = (
    SELECT CASE
      WHEN COUNT(r.last_completed_backup_date) = 0 THEN NULL
      WHEN COUNT(r.last_completed_backup_date) < COUNT(r.archive_id) THEN {missing}
      ELSE MIN(r.last_completed_backup_date)
    END
    FROM reports_reportrow r WHERE r.device_id = reports_reportrow.device_id
  )
"""


def recompute(apps, schema_editor):
    connection = schema_editor.connection
    missing = (
        f"TIMESTAMP WITH TIME ZONE '{MISSING_COPY}+00'"
        if connection.vendor == "postgresql"
        else f"'{MISSING_COPY}'"
    )
    with connection.cursor() as cursor:
        cursor.execute(RECOMPUTE.format(missing=missing))


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
        ("reports", "0011_sort_indexes_include_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportrow",
            name="device_selected_bytes",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(recompute, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_device_sorts, drop_device_sorts),
    ]
