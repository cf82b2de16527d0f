"""How a report row is written as one JSON object of an API page (spec section 2).

The read model keeps each row's object, written together with the row
(`ReportRow.json_object`), so that a page is a join of stored texts rather than 37
fields encoded per row on every request: the CPU a page costs is then the web stack's,
not the encoder's. Names, order and value encoding come from reports.row; the text is
what the API wrote before it was stored: `json.dumps` with its default separators and
every non-ASCII character as a \\uXXXX escape (the vendor's Python 2 clients log bodies
with str()). A change to the format here needs a migration that rebuilds the report
table (as reports migration 0010 does), or stored objects go stale.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from django.core.serializers.json import DjangoJSONEncoder

from reports.row import ROW

# What JsonResponse writes: the encoder's defaults, ensure_ascii included.
_ENCODER = DjangoJSONEncoder()
ITEM_SEPARATOR = ", "


def row_json(row: Mapping[str, object]) -> str:
    """A report row's raw values by attribute (missing ones null) -> its JSON object."""
    values = [row.get(attribute) for attribute in ROW.attributes]
    return json.dumps(ROW.encode_dict(values))


def page_body(metadata: dict, objects: Iterable[str]) -> bytes:
    """The API's envelope around stored row objects, as JsonResponse would write
    {"metadata": metadata, "data": [rows]}, without decoding a row."""
    head = '{"metadata": ' + _ENCODER.encode(metadata) + ', "data": ['
    return (head + ITEM_SEPARATOR.join(objects) + "]}").encode("ascii")
