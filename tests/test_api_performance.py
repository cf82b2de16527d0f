"""The API's cost does not grow with the page or the fleet: queries and export memory."""

from __future__ import annotations

import tracemalloc

import pytest
from django.core.cache import cache
from django.db import connection

from accounts.caller_memo import caller_memo
from reports import export, read_model
from reports.api.authentication import recently_verified
from reports.models import Archive, Device, ReportRow
from tests.api_support import API, basic
from tests.factories import ArchiveFactory, DeviceFactory


def bulk_fleet(owners: list, devices: int) -> None:
    """Many devices (half with an archive) written in bulk, then the read model rebuilt."""
    built = [
        DeviceFactory.build(user=owners[index % len(owners)], device_uid=f"bulk-{index:06d}")
        for index in range(devices)
    ]
    Device.objects.bulk_create(built)
    destination = Archive.objects.select_related("destination", "server").first()
    Archive.objects.bulk_create(
        ArchiveFactory.build(
            device=device,
            archive_guid=f"bulk-archive-{index:06d}",
            destination=destination.destination,
            server=destination.server,
        )
        for index, device in enumerate(built[::2])
    )
    read_model.rebuild()


@pytest.fixture
def big_fleet(personas):
    bulk_fleet([personas["dave"], personas["sam"], personas["erin"]], 1200)
    assert ReportRow.objects.count() > 1000
    # Credentials verified in an earlier test may name a user of the same id: a test-only
    # case (a real server is not rolled back) that costs one more query.
    recently_verified.forget()
    caller_memo.forget()
    return personas


# Basic: the user (by username, then by id once verified, with the sign-in lock, the
# roles and the org in the same query, accounts.roles.with_roles); at the first sign-in,
# the user once more with its roles and org, so that no later request reads them; the
# count; the page; and, first of all, the access and report generations in one query
# (reports.api.generations), under which the caller (accounts.caller_memo) and the count
# (reports.cache) are kept. The first request of new credentials also has its password
# check admitted by the lockout (accounts.password_checks: in one transaction, clear the
# stale checks of the username and the address, add this one, read the failures and the
# checks running; on PostgreSQL first the two keys' advisory locks), and ends it after.
# The sign-in is an audit event (accounts.audit.chain): in a savepoint, the chain's head
# touched (the write lock first) and read, the event written, the head moved on.
ADVISORY_LOCKS = 2 if connection.vendor == "postgresql" else 0
SIGN_IN_EVENT = 6
FIRST_SIGN_IN = 6 + ADVISORY_LOCKS + SIGN_IN_EVENT
FIRST_PAGE_QUERIES = FIRST_SIGN_IN + 4 + 1

# The next page of the same caller: the generations (the caller is kept), the count and
# the page.
NEXT_PAGE_QUERIES = 3


@pytest.mark.parametrize("name", ["sysadmin", "alice", "dave"])
def test_the_number_of_queries_for_a_page_is_a_constant(
    client, big_fleet, django_assert_num_queries, name
):
    for expected, page_size in ((FIRST_PAGE_QUERIES, 1000), (NEXT_PAGE_QUERIES, 10)):
        cache.clear()  # the worst case: neither the count nor the page is kept yet
        with django_assert_num_queries(expected):
            response = client.get(
                API, {"pgSize": page_size, "srtKey": "lastConnectedDate"}, **basic(name)
            )
        assert response.status_code == 200
    if name == "sysadmin":
        assert len(response.json()["data"]) == 10
        response = client.get(API, {"pgSize": 1000}, **basic(name))
        assert len(response.json()["data"]) == 1000


def test_paging_through_a_query_counts_its_rows_once(client, big_fleet, django_assert_num_queries):
    client.get(API, {"pgSize": 100, "pgNum": 1}, **basic("sysadmin"))
    # The generations (the caller is kept), the page: the count is kept.
    with django_assert_num_queries(2):
        response = client.get(API, {"pgSize": 100, "pgNum": 2}, **basic("sysadmin"))
    assert response.json()["metadata"]["totalCount"] == ReportRow.objects.count()
    ArchiveFactory(device=Device.objects.first(), archive_guid="one-more")
    response = client.get(API, {"pgSize": 100, "pgNum": 3}, **basic("sysadmin"))
    assert response.json()["metadata"]["totalCount"] == ReportRow.objects.count()


def test_an_org_uid_filter_adds_one_query(client, big_fleet, django_assert_num_queries):
    with django_assert_num_queries(FIRST_PAGE_QUERIES + 1):
        client.get(API, {"orgUid": "org-emea"}, **basic("sysadmin"))


def test_csv_export_memory_does_not_grow_with_the_rows(client, big_fleet, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_ROWS", 100)
    monkeypatch.setattr(export, "COPY_BLOCK_BYTES", 8 * 1024)

    def peak_bytes(**params) -> tuple[int, int]:
        tracemalloc.start()
        try:
            response = client.get(API, {"export": "csv", **params}, **basic("sysadmin"))
            lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
            return tracemalloc.get_traced_memory()[1], lines
        finally:
            tracemalloc.stop()

    peak_bytes(user="dave")  # warm up: the first request loads code and fills caches
    small, small_lines = peak_bytes(user="dave")  # a third of the rows
    large, large_lines = peak_bytes()  # every row
    assert large_lines > 2.5 * small_lines
    # Three times the rows; the peak grows by much less than the 1 MB they take as CSV.
    assert large < small * 1.3, (small, large)
