"""The three role groups of spec section 4.

The names are written out, not imported: a migration records history. A test checks
that they equal accounts.roles. The System administrators' admin permissions are
granted after every migrate by accounts.apps (permissions do not exist yet while a
fresh database migrates).
"""

from django.db import migrations

ROLE_GROUP_NAMES = ("Desktop users", "Org managers", "System administrators")


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUP_NAMES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Unapplying keeps the groups: deleting them would drop every role assignment.
    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
