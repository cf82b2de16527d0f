from django.db import migrations

# A sync moves most devices' and archives' dates every hour, and no index of these
# tables holds a date: with room left on each page, PostgreSQL writes the new version of
# a row beside the old one and touches none of the table's indexes (a HOT update). Full
# pages (fillfactor 100, the default) leave no room, so every row updated went to
# another page, with an entry in each index. Measured at 1,000,000 devices: moving every
# device's last connection took 25.3 s, and 3.0 s with half of each page free. The
# tables take up to twice the room; new pages follow the setting at once, the pages
# already full as the syncs and autovacuum rewrite them (or at once: VACUUM FULL).
TABLES = ("reports_device", "reports_archive")
FILLFACTOR = 50


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("reports", "0016_import_snapshot")]
    operations = [migrations.RunPython(forwards, backwards)]
