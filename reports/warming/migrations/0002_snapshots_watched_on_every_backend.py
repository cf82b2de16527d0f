from django.db import migrations

from accounts.watched_tables import WatchTable
from reports.cache import REPORT

# Snapshots move the report generation on (0001, PostgreSQL only until now) on every
# backend, through the one operation that writes the triggers for each
# (accounts.watched_tables).


class Migration(migrations.Migration):
    dependencies = [
        ("warming", "0001_initial"),
        ("reports", "0012_generation_on_every_backend"),
    ]

    operations = [WatchTable("history_snapshot", REPORT)]
