from django.db import migrations, models


def write_records(apps, schema_editor):
    """Rows written before this column lack their record: rebuild them from the
    environment tables, as `manage.py rebuild_report` does (nothing to do when
    empty)."""
    if not apps.get_model("reports", "ReportRow").objects.exists():
        return
    from reports import read_model

    read_model.rebuild()


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
