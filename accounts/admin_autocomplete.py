"""The admin's autocomplete fields, given a value that is no key of theirs.

Django's AutocompleteSelect draws the chosen option by filtering the related table with
the value posted as it came: a form posted with `org=abc` raised ValueError while the form
was redrawn with its error, a 500 instead of "Select a valid choice" (found by an audit,
2026-12-06). The widgets here leave out the values the key's own field refuses; the form's
field still names the value as not a valid choice.
"""

from __future__ import annotations

from django.contrib.admin import widgets
from django.core.exceptions import ValidationError


class _KeysOnly:
    """Draws only the chosen values the related key's field takes."""

    def optgroups(self, name, value, attr=None):
        related = self.field.remote_field
        name = getattr(related, "field_name", None)  # a many-to-many's is the primary key
        key = related.model._meta.get_field(name) if name else related.model._meta.pk
        return super().optgroups(name, [v for v in value if _is_key(key, v)], attr)


def _is_key(key, value) -> bool:
    try:
        key.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


class CheckedAutocompleteSelect(_KeysOnly, widgets.AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_KeysOnly, widgets.AutocompleteSelectMultiple):
    pass


_CHECKED = {
    widgets.AutocompleteSelect: CheckedAutocompleteSelect,
    widgets.AutocompleteSelectMultiple: CheckedAutocompleteSelectMultiple,
}


class CheckedAutocompletes:
    """Mixed into every ModelAdmin (accounts.admin_site): its autocomplete widgets are the
    checked ones above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _checked(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _checked(super().formfield_for_manytomany(db_field, request, **kwargs))


def _checked(formfield):
    if formfield is not None:
        checked = _CHECKED.get(type(formfield.widget))
        if checked is not None:
            formfield.widget.__class__ = checked
    return formfield
