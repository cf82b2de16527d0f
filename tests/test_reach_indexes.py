"""PostgreSQL: the reach of a desktop user (the rows they own) and of an org manager
(a subtree: a prefix of the org path) are each read from an index, and not from the
plain B-trees migration 0018 dropped, which a sync paid an entry in for every row; and
Storage by user and by org read their covering indexes alone (migrations 0015, 0022): a
column the grouping reads that the index does not carry sends every row to the table."""

from __future__ import annotations

import pytest
from django.db import connection

from reports.dashboards import rollups
from reports.models import ReportRow
from tests.factories import ArchiveFactory, DeviceFactory, refreshing_once

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: its indexes and planner"
)


@pytest.fixture
@refreshing_once
def fleet(personas):
    for person in ("alice", "dave", "carol", "sam", "erin"):
        for _ in range(3):
            ArchiveFactory(device=DeviceFactory(user=personas[person]))
    # Rows outside the reaches asked, so that reading a whole index and filtering it
    # costs the planner more than the reach's range (with a few rows it cost the same).
    for _ in range(150):
        ArchiveFactory(device=DeviceFactory(user=personas["erin"]))
    return personas


def plan(user) -> str:
    sql, params = ReportRow.objects.visible_to(user).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows: the planner would scan the table; tell it not to, to see
        # which index answers the condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Its statistics as they stand now, not as the tests before left the table: with
        # stale ones a whole other index read and filtered cost the planner the same.
        cursor.execute(f"ANALYZE {ReportRow._meta.db_table}")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def plain_indexes(column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [ReportRow._meta.db_table, f"% USING btree ({column})"],
        )
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.parametrize(
    ("persona", "index"),
    [("dave", "row_rollup_owner"), ("alice", "org_path_2eb01335_like")],
)
def test_a_reach_is_read_from_an_index(fleet, persona, index):
    shown = plan(fleet[persona])
    assert index in shown, shown
    assert ReportRow.objects.visible_to(fleet[persona]).count() >= 3


@pytest.mark.parametrize("column", ["owner_id", "org_path"])
def test_no_plain_index_of_a_covered_column(db, column):
    assert plain_indexes(column) == []


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
