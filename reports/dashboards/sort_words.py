"""A sort said in words: the field a report is sorted by and its order, for the page's
subtitle and its headers' "Sort by" tips. Both read "sorted by deviceName, descending"
where the vendor's field name was all there was (found by an audit of the pages)."""

from __future__ import annotations

import re

from django.db import models

from reports.models import ReportRow
from reports.row import ATTRIBUTE_OF

# Words that are not a field name's lower-cased parts.
_SAID = {"os": "OS", "guid": "GUID", "uid": "UID", "ext": "external", "ref": "reference"}


def field_words(key: str) -> str:
    """ "deviceName" -> "device name", "osVersion" -> "OS version"."""
    parts = re.findall(r"[a-z]+|[A-Z][a-z]*", key)
    return " ".join(_SAID.get(part.lower(), part.lower()) for part in parts)


def order_words(key: str, descending: bool) -> str:
    """How a field's values run in this direction: dates oldest or newest first, numbers
    smallest or largest first, text A to Z or back."""
    field = ReportRow._meta.get_field(ATTRIBUTE_OF[key])
    if isinstance(field, models.BooleanField):
        return "yes first" if descending else "no first"
    if isinstance(field, models.DateTimeField):
        return "newest first" if descending else "oldest first"
    if isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        return "largest first" if descending else "smallest first"
    return "Z to A" if descending else "A to Z"
