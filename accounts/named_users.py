"""People named in a form by username, comma-separated (sharing a view, the recipients
of a subscription): every name must be of a user who may sign in (accounts.models.
MAY_SIGN_IN: not ended here nor at the vendor), or the form says which not."""

from __future__ import annotations

from django import forms

from accounts.models import MAY_SIGN_IN, User


def named_users(text: str) -> list[User]:
    names = {name.strip() for name in text.split(",") if name.strip()}
    users = list(User.objects.filter(MAY_SIGN_IN, username__in=names).order_by("username"))
    unknown = sorted(names - {user.username for user in users})
    if unknown:
        raise forms.ValidationError(f"No such user: {', '.join(unknown)}.")
    return users
