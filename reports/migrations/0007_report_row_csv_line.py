from django.db import migrations, models


def write_records(apps, schema_editor):
    """Rows written before this column lack their record; migration 0008 rebuilds
    them. The rebuild runs today's code, which also writes 0008's column: here, a
    column short of today's table, it would fail."""


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_active_sort_indexes")]

    operations = [
        migrations.AddField(
            model_name="reportrow",
            name="csv_line",
            field=models.TextField(default=""),
        ),
        migrations.RunPython(write_records, migrations.RunPython.noop, elidable=True),
    ]
