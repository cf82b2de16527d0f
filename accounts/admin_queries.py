"""What Django's admin reads from the query string, checked before it reaches a query.

Three places of the admin trust the query string, and a hostile value answered 500:

- A list's filters (`?expires_at__gte=...`): Django turns a malformed value into its
  "invalid lookup" redirect (`?e=1`), but not one that only fails when the query is
  written: a date that leaves the calendar once put in UTC
  (`0001-01-01T00:00:00+14:00`) or, on SQLite, a number past 64 bits.
- An object's page (`<id>/change/?_to_field=`): Django checks a field named there, but
  an empty name is no name to check, and was then looked up as a field named "".
- An add form's initial values (`add/?user=...`): an autocomplete field looks the
  value up while the page is drawn, and a value that is not an id ("x") raises there;
  a date and time field cannot draw a text at all. A value the form's own field would
  refuse is left out, as if not given.

`CheckedQueries` is mixed into every ModelAdmin of the site, the project's and those
of its libraries alike (accounts.admin_site), so a new one is covered too.
"""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, ValidationError

# Raised while a list's query is written, for a value Django let through.
UNWRITABLE_VALUE = (OverflowError, ValueError, ValidationError)


class CheckedQueries:
    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except UNWRITABLE_VALUE as error:  # Django's own answer: the ?e=1 redirect
            raise IncorrectLookupParameters(error) from error

    def get_object(self, request, object_id, from_field=None):
        # An empty _to_field names no field: the object's own key, as when none is given.
        return super().get_object(request, object_id, from_field or None)

    def get_changeform_initial_data(self, request) -> dict:
        """Django's initial values, but those the form's own field would refuse."""
        initial = super().get_changeform_initial_data(request)
        return {
            name: value for name, value in initial.items() if self._accepts(request, name, value)
        }

    def _accepts(self, request, name: str, value) -> bool:
        try:
            field = self.opts.get_field(name)
        except FieldDoesNotExist:
            return True  # not a field: no form field reads it
        if not getattr(field, "editable", False):
            return True  # the same (a reverse relation, an id)
        form_field = self.formfield_for_dbfield(field, request=request)
        if form_field is None:
            return True
        try:
            form_field.clean(value)
        except (*UNWRITABLE_VALUE, TypeError):
            return False
        return True


def with_checked_queries(admin_class: type) -> type:
    """The ModelAdmin class with CheckedQueries in front of it (same name and module)."""
    if issubclass(admin_class, CheckedQueries):
        return admin_class
    return type(
        admin_class.__name__,
        (CheckedQueries, admin_class),
        {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
    )
