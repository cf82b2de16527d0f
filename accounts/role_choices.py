"""The roles a form offers (saving a view shared with them, a subscription sent to
them): check boxes of the role groups (accounts.roles.ROLE_GROUPS), by group id."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Group
from django.db import connection

from accounts.roles import ROLE_GROUPS

# A group id is a few digits; more is no id (and int() refuses past 4,300 digits).
_ID_DIGITS = 20


class RoleChoiceField(forms.ModelMultipleChoiceField):
    """Optional; every value an id the group table's column can hold, or the field's
    own error: 99999999999999999999 reached the query and SQLite raised OverflowError,
    a 500 where the form was due to name the field (found by an audit)."""

    def __init__(self, *args, **kwargs):
        kwargs["queryset"] = Group.objects.filter(name__in=ROLE_GROUPS.values()).order_by("name")
        kwargs["required"] = False
        super().__init__(*args, **kwargs)

    def clean(self, value):
        low, high = connection.ops.integer_field_range(Group._meta.pk.get_internal_type())
        for given in value if isinstance(value, (list, tuple)) else ():
            text = str(given).strip()
            if not (text.isascii() and text.isdigit() and len(text) <= _ID_DIGITS) or not (
                low <= int(text) <= high
            ):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": given},
                )
        return super().clean(value)
