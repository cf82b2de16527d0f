"""People named in a form by username, comma-separated (sharing a view, the recipients
of a subscription): every name must be an active user's, or the form says which not."""

from __future__ import annotations

from django import forms

from accounts.models import User


def named_users(text: str) -> list[User]:
    names = {name.strip() for name in text.split(",") if name.strip()}
    users = list(User.objects.filter(username__in=names, is_active=True).order_by("username"))
    unknown = sorted(names - {user.username for user in users})
    if unknown:
        raise forms.ValidationError(f"No such user: {', '.join(unknown)}.")
    return users
