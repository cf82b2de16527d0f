"""The user search column also holds each person's full names, "first last" and "last,
first" (spec section 11, reports.read_model.full_names).

Nothing to do: 0013 rebuilds every report row with the code of the day, which writes the
full names, and no database ever stood at 0013 without this migration beside it (both
landed together). Rewriting the column again took 20 minutes at a million devices."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reports", "0013_device_health_and_selection")]

    operations = []
