"""People named in a form by username, comma-separated (sharing a view, the recipients
of a subscription): every name must be of a user who may sign in (accounts.models.
MAY_SIGN_IN: not ended here nor at the vendor) and within the namer's reach (the people
of their org subtree, as the vendor's /api/v1/User lists them; an administrator's is
everyone), or the form says which not. Someone out of reach is refused in the very words
of someone who does not exist: the form told anyone whether any username existed
(found by an audit, 2026-12-06)."""

from __future__ import annotations

from django import forms

from accounts.models import MAY_SIGN_IN, User
from accounts.roles import Reach


def named_users(text: str, reach: Reach) -> list[User]:
    names = {name.strip() for name in text.split(",") if name.strip()}
    found = User.objects.filter(MAY_SIGN_IN, reach.q(org="org", owner="pk"), username__in=names)
    users = list(found.order_by("username"))
    unknown = sorted(names - {user.username for user in users})
    if unknown:
        raise forms.ValidationError(f"No such user, or not one you may name: {', '.join(unknown)}.")
    return users
