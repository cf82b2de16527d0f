from django.db import migrations, models

# The searches of a person's and a device's own fields (user=, device=, os=) kept once
# each, apart from the report rows (reports.models.UserSearch): a sync that moves dates
# rewrites rows, and each row written cost an entry in three trigram indexes, a rebuild
# the three whole indexes (38 s of a million-device rebuild, 2026-12-05). Their trigram
# indexes go with them (PostgreSQL; SQLite, the small embedded database, scans).
#
# The rows' three columns go; the texts are written by the rebuild of the newest
# migration (today's code: see 0013; 0020 now). Migrating back adds the columns empty and their
# indexes again: `manage.py rebuild_report` then fills them.
NEW_INDEXES = {
    "search_trgm_user": "reports_usersearch USING gin (user_search gin_trgm_ops)",
    "search_trgm_device": "reports_devicesearch USING gin (device_search gin_trgm_ops)",
    "search_trgm_os": "reports_devicesearch USING gin (os_search gin_trgm_ops)",
}
ROW_INDEXES = {  # migration 0002's
    "row_trgm_user_search": "reports_reportrow USING gin (user_search gin_trgm_ops)",
    "row_trgm_device_search": "reports_reportrow USING gin (device_search gin_trgm_ops)",
    "row_trgm_os_search": "reports_reportrow USING gin (os_search gin_trgm_ops)",
}


def index_apart(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in NEW_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def index_rows(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in ROW_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def write_records(apps, schema_editor):
    """Once the rebuild of a fleet that is already there, and its search texts: 0020
    does it now (today's code can only run in the newest migration of the table, see
    0013)."""


class Migration(migrations.Migration):
    dependencies = [("reports", "0018_drop_covered_row_indexes")]

    operations = [
        migrations.CreateModel(
            name="DeviceSearch",
            fields=[
                ("device_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("device_search", models.TextField()),
                ("os_search", models.TextField()),
            ],
            options={"verbose_name_plural": "device searches"},
        ),
        migrations.CreateModel(
            name="UserSearch",
            fields=[
                ("owner_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("user_search", models.TextField()),
            ],
            options={"verbose_name_plural": "user searches"},
        ),
        # Backwards, this runs after the rows' columns are back: their indexes again.
        migrations.RunPython(index_apart, index_rows),
        migrations.RemoveField(model_name="reportrow", name="device_search"),
        migrations.RemoveField(model_name="reportrow", name="os_search"),
        migrations.RemoveField(model_name="reportrow", name="user_search"),
        migrations.RunPython(write_records, migrations.RunPython.noop, elidable=True),
    ]
