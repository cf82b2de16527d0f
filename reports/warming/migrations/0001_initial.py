from django.db import migrations, models

# Snapshots move the report table's generation on, as rows, users and orgs do (reports
# migration 0009): the trend and compliance by org are cached under it (reports.cache).
TRIGGER = """
CREATE TRIGGER history_snapshot_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON history_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION reports_next_generation();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS history_snapshot_generation ON history_snapshot;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("history", "0001_initial"),
        ("reports", "0009_generation_follows_users_and_orgs"),
    ]

    operations = [
        migrations.CreateModel(
            name="StoredFigure",
            fields=[
                ("key", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("generation", models.BigIntegerField(db_index=True)),
                ("value", models.BinaryField()),
                ("stored_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
