"""An org path someone shared: where an orgTree value names orgs above the viewer's
reach, as a view an administrator shared with org managers does ("Northwind › EMEA"),
the viewer's rows in them are listed, the path read as its sharer reads it.

Only a value someone else shared with the viewer is read so: a view shared with them
(by name or role) or a subscription sending them one, read with the reach of the view's
owner. Read against the whole tree for any value typed, the answer (the viewer's rows,
or none) told whether an org of that name lay above their own, a letter at a time
(found by an audit of section 4)."""

from __future__ import annotations

from accounts import org_names
from accounts.roles import reach_of
from reports.dashboards.saved.models import SavedView


def org_tree_as_shared(user, value: str) -> list[org_names.OrgName]:
    """The orgs an orgTree value picks as the ones who shared it with `user` read it."""
    if user is None or not user.is_authenticated:
        return []
    picked: list[org_names.OrgName] = []
    for view in _shared_with(user).select_related("owner"):
        if view.query_dict.get("orgTree") == value:
            picked += org_names.matching(value, reach_of(view.owner).scope)
    return picked


def _shared_with(user):
    from reports.notifications.models import Subscription
    from reports.notifications.subscriptions import recipients_of

    views = SavedView.objects.visible_to(user).exclude(owner=user)
    sent = [
        subscription.view_id
        for subscription in Subscription.objects.filter(active=True).exclude(view__owner=user)
        if recipients_of(subscription).filter(pk=user.pk).exists()
    ]
    return SavedView.objects.filter(pk__in=[*views.values_list("pk", flat=True), *sent])
