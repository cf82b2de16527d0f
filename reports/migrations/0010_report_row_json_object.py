from django.db import migrations, models


def write_records(apps, schema_editor):
    """Rows written before this column lack their JSON object (and, from before 0008,
    may hold an older CSV record). Rebuild them from the environment tables, as
    `manage.py rebuild_report` does (nothing to do when empty).

    The rebuild runs today's code, which writes every column of today's ReportRow, so
    it can only run in the newest migration of the table: the next migration that
    changes the row moves it there, as this one took it over from 0008."""
    if not apps.get_model("reports", "ReportRow").objects.exists():
        return
    from reports import read_model

    read_model.rebuild()


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_generation_follows_users_and_orgs")]

    operations = [
        migrations.AddField(
            model_name="reportrow",
            name="json_object",
            field=models.TextField(default=""),
        ),
        migrations.RunPython(write_records, migrations.RunPython.noop, elidable=True),
    ]
