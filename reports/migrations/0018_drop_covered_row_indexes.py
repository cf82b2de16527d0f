from django.db import migrations

# Two B-trees of the report table that others cover, dropped on PostgreSQL: every row a
# sync writes cost an entry in each (0.25 s of the 26,000 rows of a 1% sync at 1,000,000
# devices, 2026-12-05), for lookups another index answers as fast:
# - owner_id (a desktop user's reach): row_rollup_owner (migration 0015) leads with it;
# - org_path (an org manager's reach, a prefix: org_path LIKE 'path%'): its twin with
#   varchar_pattern_ops, which serves prefixes and =, is the one the planner uses; this
#   one orders by the collation, which nothing asks of the column.
# SQLite, which has neither rollup index nor such twins, keeps both. The model still
# declares them (db_index), so the names are looked up rather than written here.
COLUMNS = ("owner_id", "org_path")
TABLE = "reports_reportrow"


def _plain_indexes(cursor, column: str) -> list[str]:
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
        [TABLE, f"% USING btree ({column})"],
    )
    return [name for (name,) in cursor.fetchall()]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            for name in _plain_indexes(cursor, column):
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {TABLE}_{column}_plain ON {TABLE} ({column})"
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0017_room_for_hot_updates")]
    operations = [migrations.RunPython(forwards, backwards)]
