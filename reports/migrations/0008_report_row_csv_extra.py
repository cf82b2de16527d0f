from django.db import migrations, models


def write_records(apps, schema_editor):
    """The stored records change shape: `csv_line` becomes the vendor's 34 cells with
    `null` for a missing value, and `csv_extra` gets the three extension cells.
    Migration 0010 rebuilds them. The rebuild runs today's code, which also writes
    0010's column: here, a column short of today's table, it would fail."""


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_report_row_csv_line")]

    operations = [
        migrations.AddField(
            model_name="reportrow",
            name="csv_extra",
            field=models.TextField(default=""),
        ),
        migrations.RunPython(write_records, migrations.RunPython.noop, elidable=True),
    ]
