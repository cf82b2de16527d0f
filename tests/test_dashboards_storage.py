"""Storage by user and by org (spec section 11): each person once with their devices'
sum, each org once, within reach, sortable and exportable."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from tests.factories import ArchiveFactory, DestinationFactory, DeviceFactory
from tests.find_support import GIB, PASSWORD

BY_USER = "/reports/disk-usage/by-user/"
BY_ORG = "/reports/disk-usage/by-org/"


def exported(client, path: str, **params) -> list[dict]:
    response = client.get(path, {"export": "csv", **params})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_a_user_with_three_devices_is_one_row_with_their_sum(signed_in):
    rows = exported(signed_in("root"), BY_USER)
    andrew = [row for row in rows if row["username"] == "acarter"]
    assert len(andrew) == 1
    assert andrew[0]["devices"] == "3"
    assert andrew[0]["archives"] == "4"
    assert int(andrew[0]["archiveBytes"]) == (10 + 20 + 5 + 7) * GIB
    # Selected: each device's selection once (30 GiB), not once per archive.
    assert int(andrew[0]["selectedBytes"]) == 3 * 30 * GIB
    assert andrew[0]["largestDevice"] == "LT-ACARTER-02"
    assert int(andrew[0]["largestDeviceBytes"]) == 20 * GIB
    assert andrew[0]["org"] == "Northwind › EMEA › London › Accounting"


def test_the_largest_user_comes_first_and_the_sort_turns_round(signed_in):
    client = signed_in("root")
    assert [row["username"] for row in exported(client, BY_USER)][:3] == [
        "lena",
        "acarter",
        "bcarterson",
    ]
    by_devices = exported(client, BY_USER, srtKey="devices", srtDir="desc")
    assert by_devices[0]["username"] == "acarter"
    ascending = exported(client, BY_USER, srtKey="archiveBytes", srtDir="asc")
    assert [row["username"] for row in ascending][-1] == "lena"


def test_the_page_shows_each_user_once(signed_in):
    html = signed_in("root").get(BY_USER).content.decode()
    assert html.count(">acarter<") == 1
    assert "42.0 GiB" in html  # 10 + 20 + 5 + 7
    assert "LT-ACARTER-02" in html
    assert "of 3 users" in html


def test_each_org_is_one_row_of_its_own_users(signed_in):
    rows = {row["org"]: row for row in exported(signed_in("root"), BY_ORG)}
    london = rows["Northwind › EMEA › London › Accounting"]
    assert london["devices"] == "4"
    assert int(london["archiveBytes"]) == (42 + 50) * GIB
    assert int(london["largestDeviceBytes"]) == 50 * GIB
    assert int(rows["Northwind › Americas › Boston › Accounting"]["archiveBytes"]) == 3 * GIB


def test_an_org_manager_sees_only_their_reach(signed_in):
    client = signed_in("london-manager")
    users = {row["username"] for row in exported(client, BY_USER)}
    assert users == {"acarter", "lena"}
    orgs = [row["org"] for row in exported(client, BY_ORG)]
    assert orgs == ["London › Accounting"]
    html = client.get(BY_ORG).content.decode()
    assert "Boston" not in html and "Northwind" not in html and "EMEA" not in html


def test_the_filters_and_the_org_picker_narrow_a_rollup(signed_in):
    client = signed_in("root")
    assert {r["username"] for r in exported(client, BY_USER, orgTree="Americas")} == {"bcarterson"}
    assert {r["username"] for r in exported(client, BY_USER, user="Carter, Andrew")} == {"acarter"}


def test_a_desktop_user_sees_only_themselves(client, cities):
    assert client.login(username="acarter", password=PASSWORD)
    assert [r["username"] for r in exported(client, BY_USER)] == ["acarter"]


@pytest.mark.parametrize(
    "params, named",
    [
        ({"srtKey": "username"}, "srtKey"),
        ({"srtDir": "up"}, "srtDir"),
        ({"pgNum": "0"}, "pgNum"),
        ({"pgNum": "9" * 4301}, "pgNum"),  # int() refused it: a 500 (found by an audit)
        ({"export": "xlsx"}, "export"),
        ({"active": "maybe"}, "active"),
    ],
)
def test_bad_parameters_are_named(signed_in, params, named):
    response = signed_in("root").get(BY_USER, params)
    assert response.status_code == 400
    assert f"<code>{named}</code>" in response.content.decode()


def test_a_page_past_the_last_says_so_and_leads_back(signed_in):
    """ "4 users" above "No matching users": the page past the last said nothing matched
    (found by an audit of the pages), where the report pages lead to the first page."""
    page = signed_in("root").get(BY_USER, {"pgNum": "99"}).content.decode()
    assert "No users on page 99" in page and "the first</a>" in page
    # ... and to the last, which it names (found by an audit of the pages).
    assert "The last is page 1:" in page and "go to the last page" in page
    assert "No matching users" not in page
    nothing = signed_in("root").get(BY_USER, {"user": "nobody-at-all"}).content.decode()
    assert "No matching users" in nothing


def test_an_unknown_rollup_is_not_found(signed_in):
    assert signed_in("root").get("/reports/disk-usage/by-device/").status_code == 404


def test_disk_usage_links_to_its_rollups(signed_in):
    html = signed_in("root").get("/reports/disk-usage/?srtKey=archiveBytes&srtDir=desc")
    text = html.content.decode()
    assert 'href="/reports/disk-usage/by-user/?srtKey=archiveBytes&amp;srtDir=desc"' in text
    assert 'href="/reports/disk-usage/by-org/?srtKey=archiveBytes&amp;srtDir=desc"' in text


def devices_on(client, href: str) -> set[str]:
    page = client.get(html.unescape(href) + "&pgSize=500").content.decode()
    names = ("LT-ACARTER-01", "LT-ACARTER-02", "LT-ACARTER-03", "LT-LENA-01", "LT-BOB-01")
    return {name for name in names if f">{name}<" in page}


def test_every_link_of_a_filtered_rollup_keeps_its_filters(signed_in):
    """A row's link to its rows, an org's to its users, and the tabs dropped the
    page's filters: 1 device in the row, 3 in the list it linked to (2026-12-06)."""
    client = signed_in("root")
    filters = {"device": "LT-ACARTER-01", "active": "true"}
    by_user = client.get(BY_USER, filters).content.decode()
    (to_rows,) = re.findall(r'<a href="([^"]+)">acarter</a>', by_user)
    assert devices_on(client, to_rows) == {"LT-ACARTER-01"}
    by_org = client.get(BY_ORG, filters).content.decode()
    (to_org_rows,) = re.findall(r'<a href="([^"]+)">[^<]*Accounting</a>', by_org)
    assert devices_on(client, to_org_rows) == {"LT-ACARTER-01"}  # not Lena's, nor two more
    (to_users,) = re.findall(r'<a href="([^"]+)">its users</a>', by_org)
    assert "device=LT-ACARTER-01" in to_users and "exactOrgUid=" in to_users
    tabs = re.findall(r'<a href="([^"]+)"[^>]*class="tab', by_org)
    assert len(tabs) == 3 and all("device=LT-ACARTER-01" in tab for tab in tabs)
    assert devices_on(client, tabs[0]) == {"LT-ACARTER-01"}  # the archives


def selected_total(client, **params) -> int:
    """Disk usage's total "Selected for backup (each device once)", in bytes."""
    html = client.get("/reports/disk-usage/", params, follow=True).content.decode()
    found = re.search(r'Selected for backup[^<]*</span><span[^>]* title="([\d,]+) bytes"', html)
    assert found, html
    return int(found[1].replace(",", ""))


@pytest.mark.parametrize("params", [{}, {"destination": "Edge"}, {"destination": "Code42"}])
def test_a_rollup_counts_selections_as_the_report_totals_do(signed_in, cities, params):
    """A device's selection is its largest over all its archives, whichever of them a
    filter keeps (spec section 11): Storage by user on one destination counted the
    largest over the archives kept, and disagreed with Disk usage's total (2026-12-06)."""
    two = DeviceFactory(user=cities["lena"], name="LT-LENA-02")
    edge = DestinationFactory(destination_uid="dest-edge", name="Edge Cloud")
    ArchiveFactory(device=two, destination=edge, selected_bytes=8 * GIB, archive_bytes=GIB)
    ArchiveFactory(device=two, selected_bytes=12 * GIB, archive_bytes=2 * GIB)
    client = signed_in("root")
    for per in (BY_USER, BY_ORG):
        rows = exported(client, per, **params)
        assert sum(int(row["selectedBytes"]) for row in rows) == selected_total(client, **params)
    lena = next(row for row in exported(client, BY_USER, **params) if row["username"] == "lena")
    assert int(lena["selectedBytes"]) >= 12 * GIB  # LT-LENA-02's selection, whole


def test_a_rollup_filtered_by_its_own_rows_key_links_to_them(signed_in):
    """By org with exactOrgUid (what an org's "its users" link carries), by user with
    userUid: the row's link gave that parameter twice, a 500 (found by an audit,
    2026-12-06). Now the row's own key stands in for the page's."""
    client = signed_in("root")
    by_org = client.get(BY_ORG).content.decode()
    to_users = html.unescape(re.findall(r'<a href="([^"]+)">its users</a>', by_org)[0])
    org_uid = re.search(r"exactOrgUid=([^&]+)", to_users)[1]
    by_user = client.get(to_users)
    assert by_user.status_code == 200
    user_uid = re.search(r"userUid=([^&\"]+)", by_user.content.decode())[1]
    for page, key, value in ((BY_ORG, "exactOrgUid", org_uid), (BY_USER, "userUid", user_uid)):
        response = client.get(page, {key: value})
        assert response.status_code == 200, (page, key)
        links = re.findall(r'href="([^"]+)"', response.content.decode())
        rows = [html.unescape(link) for link in links if f"{key}={value}" in link]
        assert rows and all(link.count(f"{key}=") == 1 for link in rows)
