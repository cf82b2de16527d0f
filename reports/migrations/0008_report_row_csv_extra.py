from django.db import migrations, models


def write_records(apps, schema_editor):
    """The stored records change shape: `csv_line` becomes the vendor's 34 cells with
    `null` for a missing value, and `csv_extra` gets the three extension cells. Rebuild
    them from the environment tables, as `manage.py rebuild_report` does (nothing to do
    when empty).

    The rebuild runs today's code, which writes every column of today's ReportRow, so
    it can only run in the newest migration of the table: the next migration that
    changes the row moves it there, as this one took it over from 0007."""
    if not apps.get_model("reports", "ReportRow").objects.exists():
        return
    from reports import read_model

    read_model.rebuild()


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
