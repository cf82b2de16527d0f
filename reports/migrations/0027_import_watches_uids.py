from django.db import migrations

# The sync's delta (reports.importing.delta) takes the people and archives of records
# unchanged since the last mirror import to point where that import pointed them: at
# the org, destination and server of each uid. Those tables are compared whole, so
# 0016 left them unwatched; but a uid changed here (an admin's edit) makes the row
# another one to the export, and the delta left people in the renamed org and archives
# on the renamed destination or server, which the mirror then removed under them: each
# sync after failed at its commit on the foreign key (found by an audit of section 8).
# A change of one of these uids is a write by someone else, as 0016's triggers log them;
# a row trigger with WHEN, so that the imports' updates of names and paths cost no log.
UIDS = {
    "accounts_org": "org_uid",
    "reports_destination": "destination_uid",
    "reports_server": "server_uid",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, uid in UIDS.items():
        schema_editor.execute(
            f"CREATE TRIGGER {table}_uid_import_written AFTER UPDATE OF {uid} ON {table}"
            f" FOR EACH ROW WHEN (OLD.{uid} IS DISTINCT FROM NEW.{uid})"
            " EXECUTE FUNCTION reports_import_written()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in UIDS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_uid_import_written ON {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0016_sso_used_assertions"),
        ("reports", "0026_version_numeric_collation"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
