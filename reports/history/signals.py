"""A removed org's snapshot rows keep where it last was (reports.history.models), and
follow the ancestors it had when they move.

Until it goes, its rows are placed by its path now (a moved org's history follows it);
once it is gone, by the path each row keeps. Each row kept the path of the day it was
taken: an org moved and then removed sent its past before the move back to its old
parent, out of its last one's, both rewritten the day it went (found by an audit of
section 9). So its rows take its last path, uid and name as it goes.
"""

from __future__ import annotations

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from accounts.models import Org, org_saved
from reports.history.models import Snapshot
from reports.history.snapshots import follow_ancestors


@receiver(pre_delete, sender=Org)
def keep_where_it_last_was(sender, instance: Org, **kwargs) -> None:
    # pre_delete comes before the collector sets the rows' org to null (SET_NULL). As
    # the database has it: an instance read before a move has its old path.
    last = Org.objects.filter(pk=instance.pk).values("org_uid", "name", "path").first()
    if last is not None:
        Snapshot.objects.filter(org_id=instance.pk).update(
            org_uid=last["org_uid"], org_name=last["name"], path=last["path"]
        )


@receiver(org_saved, sender=Org)
def follow_a_moved_ancestor(sender, instance: Org, raw: bool = False, **kwargs) -> None:
    # An org moved in the admin; an import's moves are followed by the snapshot it takes.
    if not raw:
        follow_ancestors()
