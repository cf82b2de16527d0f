"""Who receives what: a user's choices over the defaults, and the digest's recipients."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from accounts.models import MAY_SIGN_IN
from accounts.roles import reach_of, with_fleet
from reports.notifications.models import Frequency, Preference


def preference_of(user) -> Preference:
    """The user's row, or the defaults (unsaved) when they never chose."""
    try:
        return Preference.objects.get(user=user)
    except Preference.DoesNotExist:
        return Preference(user=user)


def gets_digests(user) -> bool:
    """The digest is of a reach wider than one's own devices: managers and administrators."""
    return reach_of(user).has_fleet


def digest_recipients():
    """Org managers (with an org) and system administrators who may sign in (not ended
    here nor at the vendor: accounts.models.MAY_SIGN_IN) with an email address whose
    digest is not off, with their preference row (None: the defaults)."""
    users = (
        with_fleet(get_user_model().objects.filter(MAY_SIGN_IN).exclude(email=""))
        .exclude(notification_preference__digest=Frequency.OFF)
        .select_related("org", "notification_preference")
        .order_by("pk")
    )
    for user in users:
        preference = getattr(user, "notification_preference", None)
        yield user, (preference.digest if preference else Frequency.WEEKLY)
