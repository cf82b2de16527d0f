"""The admin's lists as the pages write them (issue 27): readable column names for the
vendor's field names ("User UID", not USERUID), dates in the one format with how long
ago (backup_format.age), counts with thousands separators, sizes in binary units.

Mixed into every ModelAdmin of the site, the project's and its libraries' alike: the
site (accounts.admin_site) takes the mixins settings.ADMIN_MODEL_MIXINS names, so that
accounts, which knows nothing of reports, gets the reports' formats from settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from reports.templatetags.backup_format import age, bytes_human, safe_format

# Words of the vendor's camelCase names, as people write them.
_WORDS = {"uid": "UID", "os": "OS", "ext": "external", "ref": "reference", "guid": "GUID"}


def readable(name: str) -> str:
    """ "userUid" -> "User UID", "deviceOsHostname" -> "Device OS hostname"; a name
    already in words ("send owner alerts") is kept."""
    if not re.search(r"[a-z][A-Z]", name):
        return name
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)
    text = " ".join(_WORDS.get(word.lower(), word.lower()) for word in words)
    return text[:1].upper() + text[1:]


def _column(field: models.Field, draw: Callable, *, boolean: bool = False) -> Callable:
    description = readable(str(field.verbose_name))

    @admin.display(description=description, ordering=field.name, boolean=boolean)
    def column(obj):
        value = getattr(obj, field.attname)
        return None if value is None else draw(value)  # None: the admin's empty sign

    column.__name__ = field.name
    return column


def _exact_bytes(value: int):
    return safe_format('<span title="{} bytes">{}</span>', f"{value:,}", bytes_human(value))


def formatted_column(field: models.Field) -> Callable | None:
    """How a list shows this field, where the admin's own way is not the product's."""
    if field.is_relation or field.primary_key:
        return None
    renamed = readable(str(field.verbose_name)) != field.verbose_name
    if field.choices:
        labels = dict(field.flatchoices)
        return _column(field, lambda value: labels.get(value, value)) if renamed else None
    if isinstance(field, models.DateTimeField):
        return _column(field, age)
    if isinstance(field, models.BooleanField):
        return _column(field, bool, boolean=True) if renamed else None  # the admin's icons
    if isinstance(field, (models.IntegerField, models.BigIntegerField)):
        if field.name.endswith("_bytes"):
            return _column(field, _exact_bytes)
        return _column(field, lambda value: f"{value:,}")
    if renamed:
        return _column(field, str)
    return None


class _ReadableTitle(admin.FieldListFilter):
    """The filter Django would choose for the field, titled in words ("By user status",
    not "By userStatus"). A class, as list_filter's (field, class) pairs must be."""

    def __new__(cls, field, request, params, model, model_admin, field_path):
        spec = admin.FieldListFilter.create(
            field, request, params, model, model_admin, field_path=field_path
        )
        spec.title = readable(str(field.verbose_name))
        return spec


class ProductFormats:
    def get_list_filter(self, request):
        shown = []
        for item in super().get_list_filter(request):
            try:
                field = self.opts.get_field(item) if isinstance(item, str) else None
            except FieldDoesNotExist:
                field = None
            vendor = str(getattr(field, "verbose_name", ""))
            shown.append((item, _ReadableTitle) if field and readable(vendor) != vendor else item)
        return shown

    def get_list_display(self, request):
        editable = set(self.list_editable)
        return [
            self._formatted(name) if name not in editable else name
            for name in super().get_list_display(request)
        ]

    def _formatted(self, name):
        if not isinstance(name, str):
            return name
        try:
            field = self.opts.get_field(name)
        except FieldDoesNotExist:
            return name
        return formatted_column(field) or name

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """A vendor field's form label in words, its vendor name beside it."""
        form_field = super().formfield_for_dbfield(db_field, request, **kwargs)
        vendor = str(getattr(db_field, "verbose_name", ""))
        if form_field is not None and readable(vendor) != vendor:
            form_field.label = readable(vendor)
            note = f"{vendor} in the vendor's report."
            form_field.help_text = f"{form_field.help_text} {note}".strip()
        return form_field
