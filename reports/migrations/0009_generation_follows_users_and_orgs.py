from django.db import migrations

# The vendor's User and Org resources (reports.api.users, orgs) count users and orgs,
# which takes 100 ms and more at 800,000 users, on every page a client asks. Counts are
# cached under the report table's generation (reports.cache); these triggers move it on
# with every write to the users and orgs tables too, so a cached count is never stale.
# A user's update counts only when it changes what those resources show or filter on:
# a sign-in writes last_login, which must not throw every cached figure away.
USER_COLUMNS = (
    "id, username, email, first_name, last_name, date_joined, user_uid, user_ext_ref, "
    "org_id, user_status"
)
TRIGGERS = f"""
CREATE TRIGGER accounts_user_generation
    AFTER INSERT OR UPDATE OF {USER_COLUMNS} OR DELETE OR TRUNCATE ON accounts_user
    FOR EACH STATEMENT EXECUTE FUNCTION reports_next_generation();
CREATE TRIGGER accounts_org_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts_org
    FOR EACH STATEMENT EXECUTE FUNCTION reports_next_generation();
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS accounts_user_generation ON accounts_user;
DROP TRIGGER IF EXISTS accounts_org_generation ON accounts_org;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("reports", "0008_report_row_csv_extra"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
