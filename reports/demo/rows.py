"""The generated fleet's report rows, made from memory rather than read back from the join.

Reading 1.6 million rows back through the ORM and making a model instance of each takes
minutes; this gives the same rows as plain tuples for `bulk.insert`. It derives them as
`read_model` does (same separator, same normalisation, same search fields), and a test
pins the result to `read_model.rows_for_devices()`.
"""

from __future__ import annotations

from reports import read_model
from reports.models import ReportRow

# Every column of a report row but the id, which the database gives.
FIELDS = tuple(f.attname for f in ReportRow._meta.concrete_fields if not f.primary_key)

_SEPARATOR = read_model.SEARCH_SEPARATOR
_SEARCHES = tuple(read_model._SEARCHES.items())
_NULLS = dict.fromkeys(FIELDS)


def report_row(values: dict) -> tuple:
    """`values` keyed like `read_model.rows_for_devices` reads them -> a row of FIELDS.

    Empty text is null; `alerted` and the *_search columns are derived; fields of an
    archive that a device does not have are null.
    """
    row = _NULLS.copy()  # in the order of FIELDS
    for key, value in values.items():
        row[key] = None if value == "" else value
    row["org_path"] = row["org_path"] or ""
    row["alerted"] = any(state != "OK" for state in (row["alert_states"] or "").split())
    for column, sources in _SEARCHES:
        texts = [text for source in sources if (text := row[source]) is not None]
        row[column] = read_model.search_text(_SEPARATOR.join(texts))
    if len(row) != len(FIELDS):
        raise ValueError(f"Not report row fields: {sorted(set(row) - set(FIELDS))}")
    return tuple(row.values())
