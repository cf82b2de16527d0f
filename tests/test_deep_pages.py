"""A page past the first reads the rows it skips from the sort's index alone (their
ids) and only its own rows from the table; it holds exactly the rows the plain OFFSET
gave, in order, under every sort and role."""

from __future__ import annotations

import pytest
from django.db import connection

from reports import read_model
from reports.models import ReportRow
from reports.query import report_query
from tests.factories import ArchiveFactory, DeviceFactory, refreshing_once

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: its indexes and planner"
)


@pytest.fixture
@refreshing_once
def fleet(personas):
    for person in ("alice", "dave", "carol", "sam"):
        for number in range(3):
            device = DeviceFactory(user=personas[person], name=f"{person}-{number % 2}")
            ArchiveFactory(device=device, archive_bytes=number * 10)
    return personas


SORTS = [{}, {"srtKey": "deviceName"}, {"srtKey": "archiveBytes", "srtDir": "desc"}]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("persona", ["sysadmin", "alice", "carol"])
def test_every_page_holds_the_rows_the_offset_gave(fleet, sort, persona):
    user = fleet[persona]
    ordered = list(report_query(sort, user).rows.values_list("id", flat=True))
    assert ordered
    for number in range(1, len(ordered) // 3 + 3):
        query = report_query(sort | {"pgSize": "3", "pgNum": str(number)}, user)
        start = (number - 1) * 3
        assert list(query.page().values_list("id", flat=True)) == ordered[start : start + 3]


def inner_plan(params: dict, user) -> str:
    page = report_query(params, user).page()
    sql, sql_params = page.values_list("json_object", flat=True).query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows: the planner would scan the table; tell it not to, to see
        # whether the index can serve the skipped rows by itself.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, sql_params)
        return "\n".join(row[0] for row in cursor.fetchall())


@on_postgres
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ({}, "row_sort_default"),
        ({"srtKey": "lastConnectedDate", "srtDir": "desc"}, "row_sort_last_connected_date"),
        ({"srtKey": "username"}, "row_sort_username"),
        ({"srtKey": "orgName", "srtDir": "desc"}, "row_sort_org_name"),  # with its path
    ],
)
def test_the_skipped_rows_are_an_index_only_scan(fleet, sort, index):
    plan = inner_plan(sort | {"pgSize": "2", "pgNum": "3"}, fleet["sysadmin"])
    assert f"Index Only Scan Backward using {index}" in plan or (
        f"Index Only Scan using {index}" in plan
    ), plan


def all_visible() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE oid = %s::regclass",
            [ReportRow._meta.db_table],
        )
        return cursor.fetchone()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_leaves_every_page_visible_for_index_only_scans(people):
    for person in people.values():
        for _ in range(20):
            ArchiveFactory(device=DeviceFactory(user=person))
    read_model.rebuild()
    pages, visible = all_visible()
    assert pages > 0
    assert visible == pages
