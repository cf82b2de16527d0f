"""Agent versions sort by number, dotted part by dotted part: an admin sorting the
`version` column to find the outdated agents read 8.8.1.36 and 7.0.3.55 above
11.5.0.36 (descending), and 10.4.2.5 before 7.0.3.55 (ascending): they sorted as text
(found by an audit, 2026-12-07). Odd values (empty, letters) sort too, never an error,
and the order is the same on SQLite and PostgreSQL (reports.version_order)."""

from __future__ import annotations

import csv
import functools
import io
import random

import pytest
from django.db import connection

from reports.version_order import VERSION_COLLATION, compare_versions
from tests.api_support import API, basic, get
from tests.factories import ArchiveFactory, DeviceFactory, UserFactory, refreshing_once

VERSIONS = ["11.5.0.36", "8.8.1.36", "7.0.3.55", "10.4.2.5", "11.10.0.1", "11.5.0.4"]
NUMERIC = ["7.0.3.55", "8.8.1.36", "10.4.2.5", "11.5.0.4", "11.5.0.36", "11.10.0.1"]

# Odd values, in the order ICU's root collation with numeric ordering gives them
# (read from PostgreSQL): a number by its value (then leading zeros first, by bytes),
# punctuation before digits, digits before letters, a letter regardless of its case
# first, then small before capital; tab before a space, other controls ignored.
TRICKY = [
    *["", "_", "#1", "~", "$5", "0", "00", "0.0", "1", "1 5", "1,5", "1.0", "1.0\t"],
    *["1.0 (beta)", "1.0-beta", "1.0-rc2", "1.0-rc10", "1.0.0", "1.0\x01x", "1.0x", "1.2"],
    *["01.10", "1.10-", "1/5", "2", "9.9999999999999999999", "10", "10.0.0.0.0.0.0.1"],
    *["11-5", "011.5", "11.05", "11.5", "11.5.0_rc1", "11.5.0-beta", "11.5.0-Beta"],
    *["11.5.0.036", "11.5.0.36", "11.5.0.36a", "11.5.0.37", "123456789012345678901234567890"],
    *["99999999999999999999999999999999999999999.1", "a01", "a1", "A1", "B1", "Release 2"],
    *["release 11", "unknown", "v2", "v10", "V11", "x.9", "X.10"],
]


def test_the_python_collation_is_icus_on_tricky_values():
    shuffled = random.Random(5).sample(TRICKY, len(TRICKY))
    assert sorted(shuffled, key=functools.cmp_to_key(compare_versions)) == TRICKY
    assert sorted(VERSIONS, key=functools.cmp_to_key(compare_versions)) == NUMERIC


@pytest.mark.django_db
def test_the_database_sorts_tricky_versions_alike():
    """The same order on this database: ICU's collation on PostgreSQL (migration 0026),
    the Python one registered on SQLite's connections."""
    shuffled = random.Random(6).sample(TRICKY, len(TRICKY))
    values = " UNION ALL ".join("SELECT %s AS v" for _ in shuffled)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v FROM ({values}) AS t ORDER BY v COLLATE {VERSION_COLLATION}", shuffled
        )
        assert [value for (value,) in cursor.fetchall()] == TRICKY


@pytest.mark.django_db
def test_the_python_collation_is_icus_on_random_ascii():
    """On PostgreSQL: ICU's order and the Python one of 30,000 random ASCII strings."""
    if connection.vendor != "postgresql":
        pytest.skip("ICU is PostgreSQL's")
    rng = random.Random(11)
    alphabet = "".join(chr(code) for code in range(1, 128)) + "0123456789" * 5 + "." * 10
    with connection.cursor() as cursor:
        for _ in range(100):
            size = range(rng.randint(0, 15))
            values = list({"".join(rng.choice(alphabet) for _ in size) for _ in range(300)})
            cursor.execute(
                f"SELECT v FROM unnest(%s::text[]) v ORDER BY v COLLATE {VERSION_COLLATION}",
                [values],
            )
            icu = [value for (value,) in cursor.fetchall()]
            assert icu == sorted(values, key=functools.cmp_to_key(compare_versions))


@pytest.fixture
@refreshing_once
def fleet(personas):
    owner = UserFactory(username="versions")
    for number, version in enumerate([*VERSIONS, "", "11.5.0-beta", "unknown"]):
        device = DeviceFactory(user=owner, version=version, name=f"v-{number}")
        for copy in range(2):  # ties broken by archive, as any sort's
            ArchiveFactory(device=device, archive_guid=f"guid-{number}-{copy}")
    return personas


# "-" before ".": a pre-release before the releases that extend it; words after numbers.
ASCENDING = [None, *NUMERIC[:3], "11.5.0-beta", *NUMERIC[3:], "unknown"]


def doubled(values):
    return [value for value in values for _ in range(2)]


@pytest.mark.django_db
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_api_sorts_versions_by_number(client, fleet, direction):
    response = get(client, fleet["sysadmin"], srtKey="version", srtDir=direction, user="versions")
    rows = response.json()["data"]
    expected = doubled(ASCENDING)
    guids = [row["archiveGuid"] for row in rows]
    if direction == "desc":
        expected.reverse()
    assert [row["version"] for row in rows] == expected
    # the tie-break is kept: within a version, by archive in the sort's direction
    for at in range(0, len(rows), 2):
        assert (guids[at] < guids[at + 1]) == (direction == "asc")


@pytest.mark.django_db
def test_pages_follow_the_order(client, fleet):
    versions = []
    for page in (1, 2, 3):
        response = get(
            client,
            fleet["sysadmin"],
            srtKey="version",
            srtDir="desc",
            user="versions",
            pgSize=7,
            pgNum=page,
        )
        versions += [row["version"] for row in response.json()["data"]]
    assert versions == list(reversed(doubled(ASCENDING)))


@pytest.mark.django_db
def test_the_csv_export_sorts_versions_by_number(client, fleet):
    response = client.get(
        API,
        {"srtKey": "version", "srtDir": "desc", "user": "versions", "export": "csv"},
        **basic(fleet["sysadmin"].username),
    )
    text = b"".join(response.streaming_content).decode()
    cells = [row["version"] for row in csv.DictReader(io.StringIO(text))]
    assert cells == ["null" if v is None else v for v in reversed(doubled(ASCENDING))]


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["devices", "archives"])
def test_the_dashboards_sort_the_agent_column_by_number(client, fleet, view):
    client.force_login(fleet["sysadmin"])
    params = {"srtKey": "version", "srtDir": "desc", "user": "versions", "view": view}
    response = client.get("/reports/migration-plan/", params)
    assert response.status_code == 200
    page = response.content.decode()
    at = [page.find(f">{version}<") for version in reversed(NUMERIC)]
    assert -1 not in at and at == sorted(at), at


def test_each_version_is_read_once_however_often_compared(monkeypatch):
    """SQLite calls the collation at every comparison of a sort: the keys made afresh
    each time took a page 400 of 80,000 rows sorted by version 7.5 s, against 0.08 s
    as text (found by a review). A fleet has few versions, each read once."""
    from reports import version_order

    reads = []
    pieces = version_order._PIECES

    class Counting:
        def findall(self, text):
            reads.append(text)
            return pieces.findall(text)

    monkeypatch.setattr(version_order, "_PIECES", Counting())
    distinct = [f"97.{n}.{n % 7}.{n * 13}" for n in range(40)]  # seen by no other test
    values = random.Random(12).sample(distinct * 50, 2000)
    ordered = sorted(values, key=functools.cmp_to_key(compare_versions))
    assert ordered == sorted(values, key=lambda v: [int(part) for part in v.split(".")])
    assert sorted(reads) == sorted(distinct)


OS_VERSIONS = ["10.15.7", "9.1", "11", "10.9", "10.0.22631", "10.0.19045", "14.6"]
OS_ASCENDING = ["9.1", "10.0.19045", "10.0.22631", "10.9", "10.15.7", "11", "14.6"]


@pytest.mark.django_db
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_os_versions_sort_by_number_too(client, personas, direction):
    """srtKey=osVersion: macOS 10.9 before 10.15.7, 9.1 before 11, on every page and in
    the export, as the agent's version (found by an audit of section 3: they sorted as
    text, 10.15.7 < 10.9 < 11 < 9.1)."""
    owner = UserFactory(username="oses")
    for number, os_version in enumerate(OS_VERSIONS):
        device = DeviceFactory(user=owner, os_version=os_version, name=f"os-{number}")
        ArchiveFactory(device=device)
    expected = OS_ASCENDING if direction == "asc" else list(reversed(OS_ASCENDING))
    params = {"srtKey": "osVersion", "srtDir": direction, "user": "oses"}
    paged = []
    for page in (1, 2, 3):
        response = get(client, personas["sysadmin"], pgSize=3, pgNum=page, **params)
        paged += [row["osVersion"] for row in response.json()["data"]]
    assert paged == expected
    response = client.get(API, params | {"export": "csv"}, **basic("sysadmin"))
    text = b"".join(response.streaming_content).decode()
    assert [row["osVersion"] for row in csv.DictReader(io.StringIO(text))] == expected
