from django.db import migrations, models

# Each snapshot keeps the thresholds its health was judged by (Snapshot.warning_days,
# critical_days). The rows taken before are left null, unknown, not given the settings'
# values of today: the settings may have changed since they were taken (the very case
# this is for), and a value written now would say they were judged by today's thresholds
# when nobody knows; compliance notes only a difference it knows of.
#
# Two nullable columns without a default or a CHECK: an ALTER TABLE ADD COLUMN that reads
# no row on SQLite (no rebuilt table, so the report generation's triggers on it stay:
# warming 0002) and on PostgreSQL (no rewrite); no row is written. A positive field's
# CHECK (>= 0) made each backend read every row to test it: 1 s a column at 1M rows on
# SQLite. Snapshots are one row per org and day (not per device): thousands of orgs
# over HISTORY_DAYS. Measured at 1M rows: nothing beyond a migrate's own start on
# PostgreSQL; 0.8 s on SQLite, the foreign key check Django runs after any migration.


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0002_removed_orgs_keep_their_past"),
    ]

    operations = [
        migrations.AddField(
            model_name="snapshot",
            name="critical_days",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="warning_days",
            field=models.IntegerField(null=True),
        ),
    ]
