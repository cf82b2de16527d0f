"""A user's deletion keeps the count of what the send log sent them
(models.SentToRemovedUsers), before their messages go with them."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, F
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from reports.notifications.models import Message, SentToRemovedUsers


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def count_what_was_sent_to_them(sender, instance, **kwargs) -> None:
    # Inside the deletion's transaction: a deletion rolled back counts nothing.
    sent = (
        Message.objects.filter(recipient_id=instance.pk, state=Message.State.SENT)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    for row in sent:
        SentToRemovedUsers.objects.get_or_create(kind=row["kind"])
        SentToRemovedUsers.objects.filter(kind=row["kind"]).update(sent=F("sent") + row["n"])
