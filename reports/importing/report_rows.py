"""Bringing the flat report table in step after an import's bulk writes.

Bulk writes bypass the signals, so the importer says which devices' rows may have
changed. Redoing them costs time in proportion; a rebuild costs the whole table, and
leaves it compact (reports.replacing). At 59,000 devices (100,000 rows) on PostgreSQL:
refresh of 10% 2.4 s, 25% 6.2 s, 50% 12.1 s; rebuild 14.6 s. Hence a rebuild from
three fifths of the fleet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.db import models

from reports import read_model, read_model_sql
from reports.importing.changes import chunks
from reports.models import Device, ReportRow

REBUILD_SHARE = 0.6


def devices_where(
    queryset: models.QuerySet, field: str, ids: Iterable[int], device: str = "pk"
) -> set[int]:
    """The devices (by `device`, a path to the device id) of rows whose `field` is in ids."""
    found: set[int] = set()
    for part in chunks(sorted(set(ids))):
        rows = queryset.filter(**{f"{field}__in": part}).order_by()
        found.update(rows.values_list(device, flat=True))
    return found


def bring_in_step(device_ids: set[int], *, by_database: bool = False, rebuild: bool = False) -> str:
    """Redo the report rows of these devices, or all of them; says which. `by_database`:
    the rows made by SQL (PostgreSQL, reports.read_model_sql), the same rows. `rebuild`:
    the importer chose it before its writes (rebuild_is_due) and listed no device."""
    way = read_model_sql if by_database else read_model
    if not device_ids and not rebuild:
        return "Report rows: nothing to redo."
    if not ReportRow.objects.exists():
        count = way.rebuild()
        return f"Report rows: built, {count:,} rows."
    if rebuild or rebuild_is_due(len(device_ids)):
        count = way.rebuild()
        return f"Report rows: rebuilt, {count:,} rows."
    way.refresh_devices(device_ids)
    count = len(device_ids)
    return f"Report rows: redone for {count:,} device{'' if count == 1 else 's'}."


def rebuild_is_due(devices: int, fleet: int | None = None) -> bool:
    """Whether the rows of this many devices are redone by a rebuild: from three fifths
    of the fleet (`fleet` devices, or counted as far as the choice needs)."""
    if fleet is None:
        fleet = _fleet_up_to(math.ceil(devices / REBUILD_SHARE))
    return devices >= REBUILD_SHARE * fleet


def _fleet_up_to(most: int) -> int:
    """The number of devices, counted up to one past `most`: as much as the choice above
    needs, not a count of the whole fleet (0.4 s of an hourly sync at a million)."""
    return Device.objects.order_by()[: most + 1].count()
