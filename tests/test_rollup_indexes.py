"""PostgreSQL: Storage by user and by org read one covering index each, index-only
(reports.dashboards.rollups, migrations 0015 and 0022): a column the grouping reads
that the index does not carry sends every row of a million devices to the table."""

from __future__ import annotations

import pytest
from django.db import connection

from reports.dashboards import rollups
from reports.models import ReportRow
from tests.factories import ArchiveFactory, DeviceFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: its indexes and planner"
)


@pytest.fixture
def fleet(personas):
    for person in ("alice", "dave", "carol", "sam", "erin"):
        for _ in range(3):
            ArchiveFactory(device=DeviceFactory(user=personas[person]))
    return personas


@pytest.mark.parametrize(
    ("per", "index"), [("user", "row_rollup_owner"), ("org", "row_rollup_org")]
)
def test_a_rollup_is_an_index_only_scan(fleet, per, index):
    rows = ReportRow.objects.visible_to(fleet["sysadmin"])
    sql, params = rollups._ordered_sql(rows, rollups.PER[per], "archiveBytes", True)
    with connection.cursor() as cursor:
        # A handful of rows: the planner would scan the table; tell it not to, to see
        # whether the index alone answers the grouping.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Only Scan using {index}" in plan, plan
