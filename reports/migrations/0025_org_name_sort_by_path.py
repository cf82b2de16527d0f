from django.db import migrations

# Sorting by orgName sorts the orgs that share a name by their path (reports.query.
# THEN_BY): the sort's index carries the path after the name, so that a deep page's
# skipped rows stay an index-only scan (migration 0011). PostgreSQL only, as 0011.
TIE_BREAK = "archive_guid ASC NULLS FIRST, device_uid ASC NULLS FIRST"


def recreate(schema_editor, keys: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS row_sort_org_name")
    schema_editor.execute(
        "CREATE INDEX row_sort_org_name ON reports_reportrow "
        f"({keys}, {TIE_BREAK}) INCLUDE (id)"
    )


def forwards(apps, schema_editor):
    recreate(schema_editor, "org_name ASC NULLS FIRST, org_path ASC NULLS FIRST")


def backwards(apps, schema_editor):
    recreate(schema_editor, "org_name ASC NULLS FIRST")


class Migration(migrations.Migration):
    dependencies = [("reports", "0024_users_watched_again")]

    operations = [migrations.RunPython(forwards, backwards)]
