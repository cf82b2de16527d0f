from django.db import migrations

# Agent versions sort by number, part by part (reports.version_order): PostgreSQL's ICU
# collation with numeric ordering, which SQLite's connections get from
# backupreport.sqlite. A schema object, so it is here rather than on each connection,
# and Django's own PostgreSQL engine (DATABASE_ENGINE) has it too. No index: the
# version sort had none, and sorts as fast as it did as text (80,000 rows, 2026-12-07:
# the first page 89 ms against 111 ms, page 300 216 ms against 233 ms; the time is the
# scan). Needs a PostgreSQL built with ICU, as reports.search_texts_sql already does.
NAME = "version_numeric"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE COLLATION IF NOT EXISTS {NAME} (provider = icu, locale = 'und-u-kn-true')"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP COLLATION IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("reports", "0025_org_name_sort_by_path")]

    operations = [migrations.RunPython(forwards, backwards)]
