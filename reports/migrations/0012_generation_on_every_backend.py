from django.db import migrations

from accounts.watched_tables import WatchTable
from reports.cache import REPORT

# The report generation's triggers (0004 and 0009, PostgreSQL only until now) on every
# backend, through the one operation that writes them for each (accounts.watched_tables):
# on SQLite counts, figures and pages are cached as on PostgreSQL. On PostgreSQL the same
# triggers are made again. A user's update counts only when it changes what the vendor
# resources show or filter on: a sign-in writes last_login, which must not throw every
# cached figure away.
USER_COLUMNS = (
    "id", "username", "email", "first_name", "last_name", "date_joined", "user_uid",
    "user_ext_ref", "org_id", "user_status",
)  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        # After every change to accounts_user: on SQLite a rebuild of it drops its triggers.
        ("accounts", "0008_legacy_dates"),
        ("reports", "0011_sort_indexes_include_id"),
    ]

    operations = [
        WatchTable("reports_reportrow", REPORT),
        WatchTable("accounts_user", REPORT, columns=USER_COLUMNS),
        WatchTable("accounts_org", REPORT),
    ]
