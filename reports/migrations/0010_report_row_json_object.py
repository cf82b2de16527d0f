from django.db import migrations, models


def write_records(apps, schema_editor):
    """Rows written before this column lack their JSON object (and, from before 0008,
    may hold an older CSV record). Migration 0013 rebuilds them. The rebuild runs
    today's code, which also writes 0013's column: here, a column short of today's
    table, it would fail."""


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
