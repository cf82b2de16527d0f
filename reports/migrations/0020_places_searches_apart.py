from django.db import migrations, models

# The searches of an org's and a destination's fields (org=, destination=) kept once
# each, apart from the report rows, as 0019 kept a person's and a device's: a sync that
# moves dates rewrites rows, and each row written cost an entry in two trigram indexes
# (about a second of the 16,000 rows of a 1% sync at a million devices, 2026-12-05),
# a rebuild the two whole indexes. Their trigram indexes go with them (PostgreSQL;
# SQLite, the small embedded database, scans).
#
# The rows' two columns go; the texts are written by the rebuild of the newest
# migration of the table (0023; today's code: see 0013, 0019). Migrating back adds the
# columns empty and their indexes again: `manage.py rebuild_report` then fills them.
NEW_INDEXES = {
    "search_trgm_org": "reports_orgsearch USING gin (org_search gin_trgm_ops)",
    "search_trgm_destination": (
        "reports_destinationsearch USING gin (destination_search gin_trgm_ops)"
    ),
}
ROW_INDEXES = {  # migration 0002's
    "row_trgm_org_search": "reports_reportrow USING gin (org_search gin_trgm_ops)",
    "row_trgm_destination_search": (
        "reports_reportrow USING gin (destination_search gin_trgm_ops)"
    ),
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
    """Once the rebuild of a fleet that is already there (its texts apart, the rows
    without the two columns): 0023 does it now, having taken it over from this one (the
    rebuild runs today's code, so only the newest migration of the table may run it;
    see 0013)."""


class Migration(migrations.Migration):
    dependencies = [("reports", "0019_searches_apart")]

    operations = [
        migrations.CreateModel(
            name="DestinationSearch",
            fields=[
                (
                    "destination_uid",
                    models.CharField(max_length=64, primary_key=True, serialize=False),
                ),
                ("destination_search", models.TextField()),
            ],
            options={"verbose_name_plural": "destination searches"},
        ),
        migrations.CreateModel(
            name="OrgSearch",
            fields=[
                ("org_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("org_search", models.TextField()),
            ],
            options={"verbose_name_plural": "org searches"},
        ),
        # Backwards, this runs after the rows' columns are back: their indexes again.
        migrations.RunPython(index_apart, index_rows),
        migrations.RemoveField(model_name="reportrow", name="destination_search"),
        migrations.RemoveField(model_name="reportrow", name="org_search"),
        migrations.RunPython(write_records, migrations.RunPython.noop, elidable=True),
    ]
