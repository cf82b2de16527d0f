from django.db import migrations

# Use case 1 sorts active devices by last connection. Deactivated devices are the
# longest unconnected, so the plain index would skip past all of them before the first
# active row: at a million devices, 90,000 rows for one page. These partial indexes hold
# the active rows alone, in the same NULLS FIRST order that serves both directions.
INDEXES = {
    "row_active_last_connected": "last_connected_date",
    "row_active_last_completed": "last_completed_backup_date",
}
TIE_BREAK = "archive_guid ASC NULLS FIRST, device_uid ASC NULLS FIRST"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, key in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON reports_reportrow "
            f"({key} ASC NULLS FIRST, {TIE_BREAK}) WHERE status = 'Active'"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_generation_from_a_sequence")]

    operations = [migrations.RunPython(forwards, backwards)]
