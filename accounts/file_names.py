"""What a downloaded file is called, one way on every surface: what it holds, then when
it was made in UTC to the minute, `backup-status_health-critical_2026-12-04T1315Z.csv`.
Sorted by name, a folder of downloads is sorted by what, then when.

The one exception is the vendor's: the API's CSV is `DeviceBackupReport-<UTC date>.csv`
(spec section 3; reports.export.download_name), which the vendor's scripts expect.

In accounts, the lowest floor (tests/test_layers.py), as formula_cells is: the audit
log's CSV is named here too."""

from __future__ import annotations

import datetime as dt
import re


def part(text: str) -> str:
    """Text made safe in a file name and a Content-Disposition header: letters, digits,
    dots and hyphens, other runs as one hyphen."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")


def stamped(stem: str, extension: str, now: dt.datetime) -> str:
    return f"{stem}_{now.astimezone(dt.UTC):%Y-%m-%dT%H%MZ}.{extension}"
