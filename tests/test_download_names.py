"""Every download of the pages is named one way (accounts.file_names): what it holds,
then when in UTC to the minute. They were named in three ways (20261206, 2026-12-06,
2026-12-06T1315Z) and storage's not dated at all. The API's CSV keeps the vendor's name."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.utils import timezone

from tests.personas import ago

STAMP = r"_(\d{4}-\d\d-\d\dT\d{4}Z)\.(csv|xlsx|pdf)"


@pytest.mark.parametrize(
    ("url", "stem"),
    [
        ("/reports/backup-status/spreadsheet.csv", "backup-status"),
        ("/reports/disk-usage/spreadsheet.xlsx?os=mac", "disk-usage_os-mac"),
        ("/reports/disk-usage/by-user/?export=csv", "storage-by-user"),
        ("/reports/disk-usage/by-org/?export=csv", "storage-by-org"),
        ("/history/compliance/?format=csv", "compliance-all"),
        ("/history/compliance/?format=csv&org=org-sales", "compliance-org-sales"),
        ("/history/trend.csv", "health-trend"),
        ("/audit/?format=csv", "audit-log"),
        ("/overview.pdf", "backup-overview-and-compliance"),
    ],
)
def test_each_download_says_what_then_when(login, fleet, url, stem):
    moment = ago(days=3).replace(hour=13, minute=15)
    with time_machine.travel(moment, tick=False):
        response = login("root").get(url)
    assert response.status_code == 200, response.content[:300]
    name = re.fullmatch(r'attachment; filename="(.+)"', response["Content-Disposition"])[1]
    when = timezone.localtime(moment, timezone.get_fixed_timezone(0))
    assert re.fullmatch(f"{re.escape(stem)}{STAMP}", name), name
    assert f"_{when:%Y-%m-%dT%H%M}Z." in name
    response.close()


def test_the_api_keeps_the_vendor_s_name(login, fleet):
    response = login("root").get("/api/DeviceBackupReport?export=csv")
    assert re.fullmatch(
        r'attachment; filename="DeviceBackupReport-\d{4}-\d\d-\d\d\.csv"',
        response["Content-Disposition"],
    )
