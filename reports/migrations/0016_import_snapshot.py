from django.db import migrations

# The sync's delta import (reports.importing.delta, PostgreSQL): the last mirror
# import's rows, one hash each, and a log of every other write to the tables the
# import compares a row at a time. A log, not a counter: a row a writing transaction,
# visible to the import only once that transaction commits, so a write committed
# during an import still says "changed since" to the next one.
# Orgs, destinations and servers are compared whole at every import: not watched. A
# person's sign-in writes last_login: not one of the watched columns.
USER_COLUMNS = "username, email, first_name, last_name, user_uid, user_ext_ref, user_status, org_id"
WATCHED = {
    "reports_device": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "reports_archive": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "accounts_user": f"INSERT OR UPDATE OF {USER_COLUMNS} OR DELETE OR TRUNCATE",
}

CREATE = """
CREATE TABLE reports_import_writes (
    id bigserial PRIMARY KEY,
    txid bigint NOT NULL DEFAULT txid_current()
);
CREATE TABLE reports_import_state (
    id int PRIMARY KEY CHECK (id = 1),
    snapshot_number bigint NOT NULL DEFAULT 0,
    layout text,
    counts jsonb
);
INSERT INTO reports_import_state (id) VALUES (1);
CREATE FUNCTION reports_import_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_import_writes (txid) SELECT txid_current()
    WHERE NOT EXISTS (SELECT 1 FROM reports_import_writes WHERE txid = txid_current());
    RETURN NULL;
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE)
    for table, events in WATCHED.items():
        schema_editor.execute(
            f"CREATE TRIGGER {table}_import_written AFTER {events} ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION reports_import_written()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WATCHED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_import_written ON {table}")
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS reports_import_written() CASCADE;"
        " DROP TABLE IF EXISTS reports_import_writes, reports_import_state,"
        " reports_import_snapshot"
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0015_rollup_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
