import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from accounts.watched_tables import WatchTable
from reports.cache import REPORT

# A removed org's snapshot rows stay (Snapshot.org null), found through the path, uid
# and name each row keeps of its org; the rows taken before keep their org's as it is.
# The org's column changes, which rebuilds the table on SQLite and drops its triggers:
# the report generation watches it again (warming 0002).


def keep_the_orgs(apps, schema_editor):
    Org = apps.get_model("accounts", "Org")
    Snapshot = apps.get_model("history", "Snapshot")
    org = Org.objects.filter(pk=OuterRef("org_id"))
    Snapshot.objects.update(
        org_uid=Subquery(org.values("org_uid")[:1]),
        org_name=Subquery(org.values("name")[:1]),
        path=Subquery(org.values("path")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0001_initial"),
        ("warming", "0002_snapshots_watched_on_every_backend"),
    ]

    operations = [
        migrations.AddField(
            model_name="snapshot",
            name="org_name",
            field=models.CharField(default="", max_length=200),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="org_uid",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="path",
            field=models.CharField(default="", max_length=1000),
        ),
        migrations.RunPython(keep_the_orgs, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="snapshot",
            name="org",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.org",
            ),
        ),
        WatchTable("history_snapshot", REPORT),
    ]
