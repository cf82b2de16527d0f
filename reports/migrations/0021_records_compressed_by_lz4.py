from django.db import migrations

# A report row with its stored records (the CSV record and the JSON object) is about
# 2.6 kB, past the 2 kB at which PostgreSQL compresses a row's largest values: nearly
# every row's JSON object is compressed as it is written, by pglz unless a column says
# otherwise. pglz took 24 of the 81 s in which a rebuild wrote the 1.6 million rows of a
# million devices (2026-12-05; lz4 the same rows in 57 s, the table as large, 3.1 GB),
# and every read of a page's objects decompresses them. So the records' columns are
# compressed by lz4, where the server was built with it (Debian's and the official
# builds are). The setting is the column's: reports.replacing's copy of the table
# (LIKE ... INCLUDING ALL) carries it. Values written before keep pglz until rewritten
# (the next rebuild, or a refresh of their device); both read alike.
RECORDS = ("csv_line", "csv_extra", "json_object")


def _has_lz4(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _set(schema_editor, method: str) -> None:
    columns = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in RECORDS)
    schema_editor.execute(f"ALTER TABLE reports_reportrow {columns}")


def lz4(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and _has_lz4(schema_editor):
        _set(schema_editor, "lz4")


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _set(schema_editor, "DEFAULT")


class Migration(migrations.Migration):
    dependencies = [("reports", "0020_places_searches_apart")]

    operations = [migrations.RunPython(lz4, default)]
