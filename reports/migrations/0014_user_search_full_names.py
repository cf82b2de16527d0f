"""The user search column also holds each person's full names, "first last" and "last,
first" (spec section 11, reports.read_model.full_names): rows written before lack them.

Only that column is rewritten, from the row's own fields, so this needs no rebuild of
the table (and stays true whatever later migrations add to the row)."""

from django.db import migrations

BATCH = 2000
FIELDS = ("username", "email", "user_ext_ref", "last_name", "first_name")


def add_full_names(apps, schema_editor):
    from reports.read_model import search_column

    ReportRow = apps.get_model("reports", "ReportRow")
    named = ReportRow.objects.exclude(first_name=None).exclude(last_name=None).order_by("id")
    last_id = 0
    while True:
        batch = list(named.filter(id__gt=last_id).values("id", *FIELDS)[:BATCH])
        if not batch:
            return
        rows = [ReportRow(id=values["id"]) for values in batch]
        for row, values in zip(rows, batch, strict=True):
            row.user_search = search_column("user_search", values)
        ReportRow.objects.bulk_update(rows, ["user_search"])
        last_id = batch[-1]["id"]


class Migration(migrations.Migration):
    dependencies = [("reports", "0013_device_health_and_selection")]

    operations = [migrations.RunPython(add_full_names, migrations.RunPython.noop, elidable=True)]
