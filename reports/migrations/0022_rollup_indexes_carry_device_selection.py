from django.db import migrations

# Storage by user and by org counts a device's selection as the report's totals do: its
# largest over all its archives (device_selected_bytes), not over those a filter kept
# (Storage by user on one destination disagreed with Disk usage's total, 2026-12-06).
# Its indexes (migration 0015) carry that column instead, so the rollup stays
# index-only.
CARRIED = "INCLUDE (archive_bytes, {selected}, archive_id, org_path)"
INDEXES = {
    "row_rollup_owner": "(owner_id, device_id) " + CARRIED,
    "row_rollup_org": "(org_id, device_id) " + CARRIED,
}


def carrying(selected: str):
    def recreate(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, definition in INDEXES.items():
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
            schema_editor.execute(
                f"CREATE INDEX {name} ON reports_reportrow {definition.format(selected=selected)}"
            )

    return recreate


class Migration(migrations.Migration):
    dependencies = [("reports", "0021_records_compressed_by_lz4")]

    operations = [
        migrations.RunPython(carrying("device_selected_bytes"), carrying("selected_bytes")),
    ]
