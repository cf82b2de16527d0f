"""The generated fleet's report rows, made from memory rather than read back from the join.

Reading 1.6 million rows back through the ORM and making a model instance of each takes
minutes; this gives the same rows as plain tuples for `bulk.insert`, derived by
`read_model` itself, and a test pins the result to `read_model.rows_for_devices()`.
"""

from __future__ import annotations

from reports import read_model

FIELDS = read_model.ROW_FIELDS

_NULLS = dict.fromkeys(FIELDS)


def report_rows(device_values: list[dict]) -> list[tuple]:
    """The rows of one device, keyed like `read_model.rows_for_devices` reads them ->
    rows of FIELDS, derived by read_model itself (fields a row lacks are null)."""
    rows = read_model.device_rows([read_model.derive(values) for values in device_values])
    result = []
    for values in rows:
        row = _NULLS | values
        if len(row) != len(FIELDS):
            raise ValueError(f"Not report row fields: {sorted(set(row) - set(FIELDS))}")
        result.append(tuple(row.values()))
    return result
