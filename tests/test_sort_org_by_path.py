"""Sorting by orgName keeps each org's rows together where orgs share a name: two
"Payroll"s, one in London and one in Paris, sort by their paths under the name, as
the pages tell them apart (spec 11, orgs by path). They interleaved, ordered by the
archive's guid alone (found in a reread, 2026-12-06)."""

from __future__ import annotations

import pytest

from tests.api_support import get
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory, refreshing_once


@pytest.fixture
@refreshing_once
def two_accountings(personas):
    top = OrgFactory(name="Everyone")
    places = {
        city: OrgFactory(name="Payroll", parent=OrgFactory(name=city, parent=top))
        for city in ("Paris", "London")
    }
    # Guids that alternate between the two orgs: the old tie-break interleaved them.
    for number in range(6):
        city = ("London", "Paris")[number % 2]
        owner = UserFactory(org=places[city], username=f"{city.lower()}-{number}")
        ArchiveFactory(device=DeviceFactory(user=owner), archive_guid=f"guid-{number}")
    return personas


def runs(values: list[str]) -> list[str]:
    """The values with repeats in a row taken as one: ["a", "a", "b"] -> ["a", "b"]."""
    return [value for at, value in enumerate(values) if at == 0 or values[at - 1] != value]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_rows_of_orgs_that_share_a_name_sort_together(client, two_accountings, direction):
    sysadmin = two_accountings["sysadmin"]
    response = get(client, sysadmin, srtKey="orgName", srtDir=direction, org="Payroll")
    rows = response.json()["data"]
    cities = [row["username"].split("-")[0] for row in rows]
    assert sorted(cities) == ["london"] * 3 + ["paris"] * 3
    assert len(runs(cities)) == 2, cities
    for city in ("london", "paris"):  # then by archive, as any tie
        guids = [row["archiveGuid"] for row in rows if row["username"].startswith(city)]
        assert guids == sorted(guids, reverse=direction == "desc")
