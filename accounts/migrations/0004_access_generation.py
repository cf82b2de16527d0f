from django.db import migrations, models

# Every change to who may sign in, and to what they may see, moves the access generation
# on (accounts.access_generation), so that a caller kept under an older number is checked
# again. Statement-level, so a bulk write costs one number, and transactional, so a
# rolled-back write moves nothing; from a sequence, so no number is ever used twice.
#
# Two columns do not count: a user's last_login (written at each sign-in on the login
# page) and an API client's last_used_at (written at most once a minute while it is in
# use); neither changes who may sign in. Every other column does: tests/test_caller_memo
# fails when a column is added to either table and not to these lists.
USER_COLUMNS = (
    "id, password, is_superuser, username, first_name, last_name, email, is_staff, "
    "is_active, date_joined, user_uid, user_ext_ref, org_id, user_status"
)
CLIENT_COLUMNS = (
    "id, client_id, secret_digest, user_id, name, created_at, created_by_id, expires_at, "
    "revoked_at"
)
EVERY_CHANGE = "INSERT OR UPDATE OR DELETE OR TRUNCATE"
WATCHED = {
    "accounts_user": f"INSERT OR UPDATE OF {USER_COLUMNS} OR DELETE OR TRUNCATE",
    "accounts_user_groups": EVERY_CHANGE,
    "auth_group": EVERY_CHANGE,
    "accounts_org": EVERY_CHANGE,
    "accounts_apiclient": f"INSERT OR UPDATE OF {CLIENT_COLUMNS} OR DELETE OR TRUNCATE",
    "axes_accessattempt": EVERY_CHANGE,
    "axes_accessattemptexpiration": EVERY_CHANGE,
}
FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS accounts_access_generation_seq;
CREATE OR REPLACE FUNCTION accounts_next_access_generation() RETURNS trigger AS $$
BEGIN
    -- An upsert: a flush (TRUNCATE of every table) may have taken the row away.
    INSERT INTO accounts_accessgeneration (id, number)
    VALUES (1, nextval('accounts_access_generation_seq'))
    ON CONFLICT (id) DO UPDATE SET number = excluded.number;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def trigger_name(table: str) -> str:
    return f"{table}_access_generation"


def forwards(apps, schema_editor):
    apps.get_model("accounts", "AccessGeneration").objects.create(id=1, number=0)
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table, events in WATCHED.items():
        schema_editor.execute(
            f"CREATE TRIGGER {trigger_name(table)} AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION accounts_next_access_generation()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WATCHED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table)} ON {table}")
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS accounts_next_access_generation();"
        "DROP SEQUENCE IF EXISTS accounts_access_generation_seq;"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_clients"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessGeneration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "access generation"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
