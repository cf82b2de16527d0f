"""Before 0007's constraint (one running subscription per view, maker and frequency): an
install may already hold two or more, made by two saves at once. The oldest of each is
kept running; the younger are stopped (active off, nothing deleted: the Subscriptions
page says "Stopped in the admin"), and the migration says which."""

from django.db import migrations


def stop_the_younger(apps, schema_editor):
    Subscription = apps.get_model("notifications", "Subscription")
    running = Subscription.objects.filter(active=True).order_by("created_at", "pk")
    kept, stopped = set(), []
    for pk, view_id, maker_id, frequency in running.values_list(
        "pk", "view_id", "created_by_id", "frequency"
    ):
        key = (view_id, maker_id, frequency)
        if key in kept:
            stopped.append(pk)
        else:
            kept.add(key)
    if stopped:
        Subscription.objects.filter(pk__in=stopped).update(active=False)
        print(
            f"\n  Stopped {len(stopped)} duplicate subscription(s), the oldest of each view, "
            f"maker and frequency kept running: {', '.join(map(str, stopped))}."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_sent_to_removed_users"),
    ]

    operations = [migrations.RunPython(stop_the_younger, migrations.RunPython.noop)]
