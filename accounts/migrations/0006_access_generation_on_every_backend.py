from django.db import migrations

from accounts.watched_tables import ACCESS, WatchTable

# The access generation's triggers (0004, PostgreSQL only until now) on every backend,
# through the one operation that writes them for each (accounts.watched_tables): on
# SQLite an API caller is kept as it is on PostgreSQL. On PostgreSQL the same triggers
# are made again. The columns are 0004's: every one but last_login and last_used_at.
USER_COLUMNS = (
    "id", "password", "is_superuser", "username", "first_name", "last_name", "email",
    "is_staff", "is_active", "date_joined", "user_uid", "user_ext_ref", "org_id",
    "user_status",
)  # fmt: skip
CLIENT_COLUMNS = (
    "id", "client_id", "secret_digest", "user_id", "name", "created_at", "created_by_id",
    "expires_at", "revoked_at",
)  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_password_checks")]

    operations = [
        WatchTable("accounts_user", ACCESS, columns=USER_COLUMNS),
        WatchTable("accounts_user_groups", ACCESS),
        WatchTable("auth_group", ACCESS),
        WatchTable("accounts_org", ACCESS),
        WatchTable("accounts_apiclient", ACCESS, columns=CLIENT_COLUMNS),
        WatchTable("axes_accessattempt", ACCESS),
        WatchTable("axes_accessattemptexpiration", ACCESS),
    ]
