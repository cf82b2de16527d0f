from django.db import migrations

# Storage by user and by org (reports.dashboards.rollups) groups the report rows per
# owner (or org), then per device. With these keys in that order, and the summed
# columns and the reach's org path carried along, PostgreSQL reads one index in group
# order, index-only (a rebuild VACUUMs the table, reports.read_model), and both
# groupings stream: no sort, no table read. SQLite, the small embedded database, groups
# fast enough without them.
CARRIED = "INCLUDE (archive_bytes, selected_bytes, archive_id, org_path)"
INDEXES = {
    "row_rollup_owner": f"(owner_id, device_id) {CARRIED}",
    "row_rollup_org": f"(org_id, device_id) {CARRIED}",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON reports_reportrow {definition}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reports", "0014_user_search_full_names")]

    operations = [migrations.RunPython(forwards, backwards)]
