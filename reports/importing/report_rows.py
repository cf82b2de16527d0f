"""Bringing the flat report table in step after an import's bulk writes.

Bulk writes bypass the signals, so the importer says which devices' rows may have
changed. Past a share of the fleet, one rebuild beats redoing devices chunk by chunk
(bench/make_vendor_csv.py has the measurements).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from reports import read_model
from reports.importing.changes import chunks
from reports.models import Device

REBUILD_SHARE = 0.5


def devices_where(
    queryset: models.QuerySet, field: str, ids: Iterable[int], device: str = "pk"
) -> set[int]:
    """The devices (by `device`, a path to the device id) of rows whose `field` is in ids."""
    found: set[int] = set()
    for part in chunks(sorted(set(ids))):
        rows = queryset.filter(**{f"{field}__in": part}).order_by()
        found.update(rows.values_list(device, flat=True))
    return found


def bring_in_step(device_ids: set[int]) -> str:
    """Redo the report rows of these devices, or all of them; says which."""
    if not device_ids:
        return "Report rows: nothing to redo."
    if len(device_ids) >= REBUILD_SHARE * Device.objects.count():
        count = read_model.rebuild()
        return f"Report rows: rebuilt, {count:,} rows."
    read_model.refresh_devices(device_ids)
    return f"Report rows: redone for {len(device_ids):,} devices."
