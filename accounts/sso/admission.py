"""Whether an account a sign-in made for a stranger (SSO_ADMIT_UNKNOWN) is still let in.

One rule, asked at each sign-in (accounts.sso.identity) and at each request of a session
single sign-on started (accounts.backends): turned off, the setting ended no session,
which lasted until SSO_SESSION_HOURS ran out (found by an audit of section 12). Below
both, and below the audit log (which names the backend): it imports no model module.
"""

from __future__ import annotations

from django.conf import settings


def made_more_of_by_hand(user) -> bool:
    """Whether an administrator made the stranger's account more than its sign-ins did:
    a superuser or staff flag, a role given by hand (no IdpRole row), an API client."""
    if user.is_superuser or user.is_staff:
        return True
    by_provider = set(user.idp_roles.values_list("group_id", flat=True))
    if set(user.groups.values_list("pk", flat=True)) - by_provider:
        return True
    return user.api_clients.exists()


def no_longer_admitted(user) -> bool:
    """Whether this is an account a sign-in made for a stranger while SSO_ADMIT_UNKNOWN
    no longer lets strangers in. It signed in all the same, with the roles its groups
    map to (found by an audit). One an administrator made more of by hand is theirs now
    and stays; a sign-in through the other provider is the stranger's own doing, not
    an administrator's, and keeps nothing.

    Asked in this order so that it costs no query but for such an account: the setting,
    then the user's row, then their standing (read with the row, `select_related`)."""
    if settings.SSO_ADMIT_UNKNOWN or user.user_uid:
        return False
    standing = getattr(user, "sso_identity", None)
    if standing is None or standing.admitted_at is None:
        return False
    return not made_more_of_by_hand(user)
