from django.db import migrations

from accounts.watched_tables import WatchTable
from reports.cache import REPORT

# accounts 0011 rebuilt accounts_user on SQLite (a new column), which drops its
# triggers: the report generation watches it again, the columns of 0012.
USER_COLUMNS = (
    "id", "username", "email", "first_name", "last_name", "date_joined", "user_uid",
    "user_ext_ref", "org_id", "user_status",
)  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_session_epoch"),
        ("reports", "0023_device_archive_bytes"),
    ]

    operations = [
        WatchTable("accounts_user", REPORT, columns=USER_COLUMNS),
    ]
