"""The five reports: defaults, role limit, sorting, filtering, paging, export, errors."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import urlencode

from accounts.models import User
from reports.catalog import REPORTS
from reports.dashboards import paging
from reports.models import Device, ReportRow
from reports.query import report_query
from tests.factories import ArchiveFactory, DestinationFactory, DeviceFactory, OrgFactory
from tests.personas import all_device_names, device_names_seen_by

# Every report with parameters that list every row the user may see.
EVERYTHING = {
    "backup-status": {"srtDir": "asc"},
    "disk-usage": {"srtDir": "asc"},
    "migration-plan": {"srtDir": "asc"},
    "cold-storage": {"srtDir": "asc"},
    "search": {"device": "-"},  # every device name here has a dash
}


def url(slug: str, **params) -> str:
    return f"/reports/{slug}/?{urlencode(params)}"


def device_links(page: bytes) -> list[str]:
    """Device names in table order, as the device column links them."""
    return re.findall(r'<a class="device-link" href="/devices/[^"]+/">([^<]+)</a>', page.decode())


def expected_names(user: str, **params) -> list[str]:
    rows = report_query(params, User.objects.get(username=user)).rows
    return list(rows.values_list("device_name", flat=True))


@pytest.mark.parametrize("slug", list(REPORTS))
def test_bare_report_url_redirects_to_its_defaults(login, slug):
    response = login("dave").get(f"/reports/{slug}/")
    assert response.status_code == 302
    assert response.url == REPORTS[slug].default_url


def test_backup_status_defaults_are_the_vendor_example(login):
    response = login("root").get("/reports/backup-status/", follow=True)
    assert response.redirect_chain[0][0].endswith(
        "active=true&view=devices&srtKey=lastConnectedDate&srtDir=asc"
    )
    assert device_links(response.content) == expected_names(
        "root", active="true", srtKey="lastConnectedDate"
    )


@pytest.mark.parametrize("slug", list(REPORTS))
@pytest.mark.parametrize("name", ["root", "alice", "carol", "dave", "sam"])
def test_each_role_sees_only_its_rows(login, slug, name):
    page = login(name).get(url(slug, pgSize=1000, **EVERYTHING[slug])).content.decode()
    allowed = device_names_seen_by(name)
    assert set(device_links(page.encode())) == allowed
    for other in all_device_names() - allowed:
        assert other not in page
    for row in ReportRow.objects.exclude(device_name__in=allowed):
        assert row.device_uid not in page


def test_org_manager_never_sees_a_sibling_org(login):
    client = login("alice")
    for slug in REPORTS:
        page = client.get(url(slug, pgSize=1000, **EVERYTHING[slug])).content.decode()
        assert "Sales" not in page
        assert "Engineering" not in page
        assert "SAM-OLD" not in page


def test_sorting_by_a_column_follows_srtkey_and_srtdir(login):
    client = login("root")
    response = client.get(url("disk-usage", srtKey="archiveBytes", srtDir="desc"))
    names = device_links(response.content)
    assert names == expected_names("root", srtKey="archiveBytes", srtDir="desc")
    assert names[0] == "DAVE-WIN"  # 100 GiB, the largest


def test_sort_headers_link_to_srtkey_keeping_the_other_parameters(login):
    page = login("root").get(url("disk-usage", os="mac", srtKey="archiveBytes", srtDir="desc"))
    html = page.content.decode()
    # The sorted column turns round; another column sorts ascending; filters stay.
    assert 'href="/reports/disk-usage/?os=mac&amp;srtKey=archiveBytes&amp;srtDir=asc"' in html
    assert 'href="/reports/disk-usage/?os=mac&amp;srtKey=selectedBytes&amp;srtDir=asc"' in html
    assert 'aria-sort="descending"' in html


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"os": "win"}, {"DAVE-WIN"}),
        ({"health": "warning"}, {"DAVE-WIN"}),
        ({"health": "critical"}, {"SAM-OLD"}),
        ({"health": "never"}, {"ERIN-NEW"}),
        ({"backupAge": "7-30"}, {"SAM-OLD"}),
        ({"backupAge": "30-"}, set()),
        ({"alerted": "true"}, {"SAM-OLD"}),
        ({"user": "sam"}, {"SAM-OLD", "LAPTOP"}),
    ],
)
def test_filters_use_the_api_parameter_names(login, params, names):
    page = login("root").get(url("backup-status", **params)).content
    found = {"LAPTOP" if n.startswith("LAPTOP-") else n for n in device_links(page)}
    assert found == names


def test_health_ok_lists_the_healthy_devices(login):
    page = login("root").get(url("backup-status", health="ok", pgSize=1000)).content
    assert set(device_links(page)) == {n for n in all_device_names() if n.startswith("LAPTOP-")}


def test_exact_org_excludes_sub_orgs_but_orguid_includes_them(login):
    client = login("root")
    exact = device_links(client.get(url("disk-usage", exactOrgUid="org-americas")).content)
    subtree = device_links(client.get(url("disk-usage", orgUid="org-americas")).content)
    assert len(exact) == 1
    assert set(subtree) > set(exact)
    assert "ERIN-NEW" in subtree


def test_filter_form_is_a_get_form_with_the_current_values(login):
    html = login("root").get(url("backup-status", os="win", srtKey="deviceName")).content.decode()
    assert 'method="get"' in html
    assert 'name="os"' in html and 'value="win"' in html
    assert '<input type="hidden" name="srtKey" value="deviceName">' in html


def test_an_os_family_is_found_by_the_name_the_overview_gives_it(login):
    """The overview's bars say Windows and macOS; typed in the OS field they found
    nothing, the rows holding win and mac (found by an audit of the pages)."""
    client = login("root")
    for name, code in (("Windows", "win"), ("macOS", "mac"), ("LINUX", "linux")):
        by_name = device_links(client.get(url("backup-status", os=name)).content)
        assert by_name == device_links(client.get(url("backup-status", os=code)).content), name
    assert device_links(client.get(url("backup-status", os="win")).content)
    # The API keeps the vendor's partial match: the name is no code of its.
    assert client.get("/api/DeviceBackupReport", {"os": "Windows"}).json()["data"] == []


def test_the_pages_own_filters_are_named_in_words(login):
    """The notice named parameters the page shows nowhere else ("health, orgTree are
    dashboard filters"; found by an audit of the pages)."""
    page = login("root").get(url("backup-status", health="warning", exactOs="mac")).content
    notice = re.search(r'<p class="notice">(.*?)</p>', page.decode(), re.S).group(1)
    assert '<span title="health">Backup health</span>' in notice
    assert '<span title="exactOs">OS family</span>:' in notice
    assert "filters of these pages only; the API link lists the rows without them" in notice


def test_export_downloads_exactly_the_filtered_sorted_rows(login):
    params = {"srtKey": "archiveBytes", "srtDir": "desc", "os": "mac", "pgSize": 1}
    client = login("alice")
    page = client.get(url("disk-usage", **params)).content.decode()
    export = re.search(r'href="([^"]+)">Export CSV', page).group(1).replace("&amp;", "&")
    response = client.get(export)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    # The file says the report, its columns and filter, and the minute (UTC).
    assert re.fullmatch(
        r'attachment; filename="disk-usage_(extra|vendor)-columns_os-mac_'
        r'\d{4}-\d\d-\d\dT\d{4}Z\.csv"',
        response["Content-Disposition"],
    )
    names = {
        client.get(href.replace("&amp;", "&"))["Content-Disposition"]
        for href in re.findall(r'href="([^"]+export=[^"]+)"', page)
    }
    assert len(names) == len(re.findall(r'href="([^"]+export=[^"]+)"', page)) > 1
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    expected = report_query(params, User.objects.get(username="alice")).rows
    assert [r["deviceUid"] for r in rows] == list(expected.values_list("device_uid", flat=True))
    assert len(rows) > 1  # all pages, not the one-row page
    assert {r["orgName"] for r in rows} == {"Accounting"}


def test_export_applies_the_dashboard_filters(login):
    response = login("root").get(url("backup-status", health="critical", export="csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["deviceName"] for r in rows] == ["SAM-OLD"]


def test_api_link_carries_the_same_query(login):
    html = login("root").get(url("migration-plan", os="mac", org="Accounting")).content.decode()
    assert 'href="/api/DeviceBackupReport?os=mac&amp;org=Accounting&amp;pgSize=50"' in html


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"srtKey": "nosuch"}, "srtKey"),
        ({"srtDir": "up"}, "srtDir"),
        ({"active": "maybe"}, "active"),
        ({"pgNum": "0"}, "pgNum"),
        ({"pgSize": "-5"}, "pgSize"),
        ({"export": "xml"}, "export"),
        ({"health": "sometimes"}, "health"),
        ({"backupAge": "7-3"}, "backupAge"),
        ({"exactOs": "bsd"}, "exactOs"),
    ],
)
def test_invalid_parameters_give_a_friendly_message(login, params, named):
    response = login("root").get(url("backup-status", **params))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some parameters could not be understood" in html
    assert f"<code>{named}</code>" in html
    assert 'method="get"' in html  # the form is there to fix it


def test_all_bad_parameters_are_named_at_once(login):
    html = login("root").get(url("backup-status", srtKey="x", health="y")).content.decode()
    assert "<code>srtKey</code>" in html and "<code>health</code>" in html


def test_pages_and_page_size(login):
    client = login("root")
    first = client.get(url("disk-usage", srtKey="archiveBytes", pgSize=2)).content.decode()
    assert len(device_links(first.encode())) == 2
    assert "Rows 1–2 of 8 rows" in " ".join(first.split())
    assert 'href="/reports/disk-usage/?srtKey=archiveBytes&amp;pgSize=2&amp;pgNum=2"' in first
    second = client.get(url("disk-usage", srtKey="archiveBytes", pgSize=2, pgNum=2)).content
    all_names = expected_names("root", srtKey="archiveBytes")
    assert device_links(second) == all_names[2:4]
    past = client.get(url("disk-usage", srtKey="archiveBytes", pgSize=2, pgNum=99))
    assert past.status_code == 200
    assert b"No rows on page 99" in past.content
    # It names the last page and leads there, not only to the first (found by an audit).
    assert "The last is page 4" in past.content.decode()
    assert 'href="/reports/disk-usage/?srtKey=archiveBytes&amp;pgSize=2&amp;pgNum=4"' in (
        past.content.decode()
    )


def test_count_stops_at_the_cap(login, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    html = login("root").get(url("backup-status", srtDir="asc", pgSize=2)).content.decode()
    assert "more than 3 rows" in " ".join(html.split())
    assert "Last »" not in html
    assert "Next ›</a>" in html


def test_devices_are_counted_themselves_where_their_rows_pass_the_cap(login, monkeypatch):
    """Rows past the cap said "more than N devices" of fewer devices (found by an
    audit): at two archives a device, 6,000 devices were "more than 10,000"."""
    for device in Device.objects.all():
        ArchiveFactory(device=device)  # a second destination each
    rows = ReportRow.objects.count()
    devices = ReportRow.objects.values("device_id").distinct().count()
    assert devices < rows
    monkeypatch.setattr(paging, "COUNT_CAP", devices)  # the rows pass it, the devices not
    page = url("backup-status", srtDir="asc", pgSize=2, view="devices")
    html = " ".join(login("root").get(page).content.decode().split())
    assert f"Devices 1–2 of {devices} devices, one row each" in html
    assert "Last »" in html
    monkeypatch.setattr(paging, "COUNT_CAP", devices - 1)
    html = " ".join(login("root").get(page).content.decode().split())
    assert f"more than {devices - 1} devices" in html
    assert "Last »" not in html


def test_the_health_of_a_row_of_an_archive_says_it_is_the_device_s(login):
    """A row's own destination backed up yesterday beside a Critical badge: the device's
    health (its stalest destination's), which the header now says (found by an audit)."""
    html = login("root").get(url("disk-usage"), follow=True).content.decode()
    header = re.search(r"<th [^>]*>\s*Health\s*</th>", html)[0]
    assert "that of its stalest destination" in header


def test_the_os_is_said_in_words_as_the_overview_says_it(login, fleet):
    """ "win 10.0.22631" beside an overview and a filter that say Windows (found by an
    audit of the pages)."""
    client = login("root")
    html = client.get(url("backup-status", os="win", srtKey="deviceName")).content.decode()
    assert "<td >Windows <small>" in html and ">win <small>" not in html
    device = ReportRow.objects.filter(os="win").first()
    page = client.get(f"/devices/{device.device_uid}/").content.decode()
    assert "<dt>OS</dt><dd>Windows " in page


def test_empty_state(login):
    html = login("root").get(url("backup-status", device="no-such-device")).content.decode()
    assert "Nothing matches these filters" in html and "reset the report" in html
    assert "Export CSV" not in html


@pytest.mark.parametrize(
    "user, org_filter",
    [
        ("root", {"orgTree": "Acme › Nowhere"}),  # renamed at the vendor, say
        ("root", {"orgUid": "org-gone"}),  # deleted
        ("root", {"exactOrgUid": "org-gone"}),
        ("alice", {"orgUid": "org-sales"}),  # beside her reach: said as one that is not
        ("alice", {"exactOrgUid": "org-sales"}),
    ],
)
def test_an_org_filter_that_names_no_org_says_so(login, user, org_filter):
    """A link or saved view whose org is renamed or gone said "Nothing matches these
    filters" as if the fleet had no such device (found by an audit: its subscription
    is held for it, the page did not say why)."""
    html = login(user).get(url("backup-status", **org_filter)).content.decode()
    ((name, value),) = org_filter.items()
    assert f"<code>{name}={value}</code> names no org you may see" in html
    assert "Nothing matches these filters" not in html


def test_an_org_that_exists_with_nothing_matching_is_not_said_unnamed(login):
    for org_filter in ({"orgUid": "org-sales"}, {"exactOrgUid": "org-accounting"}):
        params = org_filter | {"device": "no-such-device"}
        html = login("root").get(url("backup-status", **params)).content.decode()
        assert "Nothing matches these filters" in html and "names no org" not in html


def test_an_empty_report_nobody_filtered_says_what_it_means(login):
    """Cold storage empty for alice said "Loosen a filter or reset the report", a reset
    to the very same address, to someone who had set none (found by an audit)."""
    client = login("alice")  # Accounting: no archive in cold storage
    html = client.get(url("cold-storage"), follow=True).content.decode()
    assert "None of the archives you may see is in cold storage: nothing to purge." in html
    assert "Loosen a filter" not in html
    sorted_only = client.get(url("cold-storage", coldStorage="true", srtKey="archiveBytes"))
    assert "nothing to purge" in sorted_only.content.decode()
    filtered = client.get(url("cold-storage", coldStorage="true", destination="x")).content.decode()
    assert "Nothing matches these filters" in filtered and "nothing to purge" not in filtered


def test_search_waits_for_a_term_then_finds_by_reference(login, fleet):
    client = login("root")
    assert b"Search by name or reference" in client.get(url("search", srtDir="asc")).content
    # Its files neither: the vendor CSV gave every row in reach (2026-12-06).
    for files in (url("search", srtDir="asc", export="csv"), "/reports/search/spreadsheet.csv"):
        refused = client.get(files)
        assert (refused.status_code, refused.content) == (
            400,
            b"Search first: give a user, device or org.\n",
        )
    dave = fleet["users"]["dave"]
    found = device_links(client.get(url("search", user=dave.user_ext_ref)).content)
    assert set(found) == set(
        ReportRow.objects.filter(owner_id=dave.pk).values_list("device_name", flat=True)
    )
    asset = fleet["warning"].ext_ref
    assert device_links(client.get(url("search", device=asset)).content) == ["DAVE-WIN"]
    assert set(device_links(client.get(url("search", org="ACME")).content)) == set()
    accounting = device_links(client.get(url("search", orgTree="Accounting")).content)
    assert accounting and set(accounting) == set(
        device_links(client.get(url("backup-status", orgTree="Accounting", pgSize=500)).content)
    )


def test_migration_plan_totals_the_filtered_set(login):
    html = login("root").get(url("migration-plan", os="mac", org="Accounting")).content.decode()
    html = " ".join(html.split())
    # alice's and dave's Macs: 60 GiB selected each.
    assert 'Devices to migrate</span><span class="total-value">2<' in html
    assert ">120 GiB<" in html


@pytest.mark.parametrize("name", ["root", "alice", "dave", "sam"])
def test_migration_plan_archived_total_is_that_of_the_rows_it_lists(login, fleet, name):
    """One row per device with an archive filter: each row's "Stored (all destinations)"
    and the sort by it are the device's every archive, while its total summed only the
    matching archives, 5 GiB beside a column of 105 (found by an audit). Per device the
    total is the column's; per archive, the listed archives'."""
    local = DestinationFactory(destination_uid="dest-local", name="Local Folder")
    ArchiveFactory(device=fleet["warning"], destination=local, archive_bytes=5 * 1024**3)
    client = login(name)
    params = {"active": "true", "destination": "Local Folder", "pgSize": 1000}
    user = User.objects.get(username=name)
    matching = report_query({"active": "true", "destination": "Local Folder"}, user).rows

    def archived_total(html: str) -> tuple[str, int]:
        html = " ".join(html.split())
        label, total = re.search(
            r'<span class="total-label"[^>]*>(Archived[^<]*)</span>'
            r'<span class="total-value" title="([\d,]+) bytes"',
            html,
        ).groups()
        return label, int(total.replace(",", ""))

    per_device = params | {"view": "devices", "srtKey": "archiveBytes", "srtDir": "desc"}
    response = client.get(url("migration-plan", **per_device))
    rows = response.context["page"].rows
    stored = [row.device_archive_bytes or 0 for row in rows]
    assert stored == sorted(stored, reverse=True)  # sorted by the very column
    assert archived_total(response.content.decode()) == (
        "Archived (every destination's copy)",
        sum(stored),
    )
    assert {row.device_id for row in rows} == set(matching.values_list("device_id", flat=True))
    sheet = client.get(f"/reports/migration-plan/spreadsheet.csv?{urlencode(per_device)}")
    text = b"".join(sheet.streaming_content).decode("utf-8-sig")
    column = [int(row["Stored (all destinations)"]) for row in csv.DictReader(io.StringIO(text))]
    assert sum(column) == sum(stored)
    if name in ("root", "alice", "dave"):  # DAVE-WIN's 100 GiB elsewhere is in both
        assert sum(stored) == 105 * 1024**3
    else:
        assert rows == [] and sum(stored) == 0

    per_archive = url("migration-plan", **params, view="archives")
    html = client.get(per_archive).content.decode()
    assert archived_total(html) == (
        "Archived (the archives listed)",
        sum(matching.values_list("archive_bytes", flat=True)),
    )


def test_disk_usage_totals_and_human_sizes(login):
    html = " ".join(login("alice").get(url("disk-usage", srtDir="asc")).content.decode().split())
    # alice 42 GiB + dave 42 GiB + dave's Windows laptop 100 GiB.
    assert ">184 GiB<" in html
    assert 'title="107,374,182,400 bytes">100 GiB<' in html


def test_cold_storage_shows_expiry_and_says_purging_is_in_the_vendor_console(login):
    html = login("root").get(REPORTS["cold-storage"].default_url).content.decode()
    assert device_links(html.encode()) == ["SAM-OLD"]
    assert "vendor console" in html
    assert re.search(
        r'<time datetime="[^"]+" class="when">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>'
        r"<small>\d+ days? left</small>",
        html,
    )


def test_dates_read_as_utc_time_and_days_ago_both_in_the_text(login):
    """Issue 27: not only in a tooltip, which a phone and a screen reader never get."""
    html = login("root").get(url("backup-status", health="critical")).content.decode()
    assert re.search(
        r'<time datetime="[^"]+" class="when age age-critical">\d{4}-\d\d-\d\d \d\d:\d\d UTC'
        r'<span class="when-ago"><span class="when-sep"> · </span>12 days ago</span></time>',
        html,
    )
    assert '<time datetime="' in html and ' title="20' not in html
    assert 'class="badge badge-critical"' in html
    assert 'role="progressbar"' in html


def _queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.parametrize("slug", list(REPORTS))
def test_report_pages_make_few_queries_whatever_the_row_count(login, fleet, slug):
    client = login("alice")  # an org manager: the most role lookups
    address = url(slug, pgSize=1000, **EVERYTHING[slug])
    before = _queries(client, address)
    for _ in range(15):
        ArchiveFactory(device=DeviceFactory(user=fleet["users"]["dave"], name="MORE-DEVICE"))
    assert _queries(client, address) == before
    # Cold storage keeps one figure more (its expiry dates, for the expired count):
    # on a cold cache its generation, its stored copy and its computation.
    assert before <= (12 if slug == "cold-storage" else 10)


def test_apply_after_an_error_drops_the_bad_parameter(login):
    html = login("root").get(url("backup-status", srtKey="nosuch", os="mac")).content.decode()
    assert 'name="srtKey"' not in html
    assert 'value="mac"' in html


def test_a_huge_page_number_is_an_empty_page_not_an_error(login):
    response = login("root").get(url("backup-status", pgNum="9" * 30))
    assert response.status_code == 200
    assert b"No rows on page" in response.content


def test_pages_need_no_javascript(login, fleet):
    """The one script, the org picker's type-ahead, only adds suggestions to a plain
    field of a plain GET form; no page has inline script."""
    client = login("root")
    for address in [
        "/",
        REPORTS["backup-status"].default_url,
        f"/devices/{fleet['warning'].device_uid}/",
    ]:
        html = client.get(address).content.decode()
        scripts = re.findall(r"<script[^>]*>", html)
        assert set(scripts) <= {
            '<script src="/static/reports/org_picker.js" defer>',
            '<script src="/static/reports/menu.js" defer>',
        }, scripts


def test_a_repeated_dashboard_parameter_is_named(login):
    response = login("root").get("/reports/backup-status/?health=ok&health=never")
    assert response.status_code == 400
    assert b"<code>health</code>: given 2 times" in response.content


def test_filters_without_a_control_ride_along_and_can_be_removed(login):
    html = login("root").get(url("disk-usage", health="ok", orgUid="org-emea")).content.decode()
    assert '<input type="hidden" name="health" value="ok">' in html
    assert '<input type="hidden" name="orgUid" value="org-emea">' in html
    assert (
        'href="/reports/disk-usage/?orgUid=org-emea" '
        'aria-label="Remove the filter Backup health: OK"' in html
    )


def test_chips_read_as_words_not_uids(login):
    html = login("root").get(url("disk-usage", exactOrgUid="org-accounting")).content.decode()
    assert "Org: Acme › EMEA › Accounting only, not the orgs below it" in html
    assert 'title="exactOrgUid=org-accounting"' in html
    html = login("root").get(url("disk-usage", orgUid="org-emea")).content.decode()
    assert "Org: Acme › EMEA, and the orgs below it" in html


def test_a_user_or_device_chip_names_them_within_reach(login):
    """Storage by user links each person to disk usage by their userUid: the chip read
    "User: uid-00003", naming nobody (found by an audit of the pages)."""
    dave = User.objects.get(username="dave")
    device = ReportRow.objects.filter(owner_id=dave.pk).order_by("device_name").first()
    html = login("root").get(url("disk-usage", userUid=dave.user_uid)).content.decode()
    assert f"User: dave ({dave.first_name} {dave.last_name})" in html
    assert f'title="userUid={dave.user_uid}"' in html
    html = login("root").get(url("disk-usage", deviceUid=device.device_uid)).content.decode()
    assert f"Device: {device.device_name}" in html
    # Out of the viewer's reach, the uid stays a uid: no name is read through it.
    erin = User.objects.get(username="erin")
    html = login("alice").get(url("disk-usage", userUid=erin.user_uid)).content.decode()
    assert f"User: {erin.user_uid}" in html
    assert "erin" not in html


def test_an_org_managers_chip_names_no_org_above_their_own(login):
    html = login("alice").get(url("disk-usage", orgUid="org-accounting")).content.decode()
    assert "Org: Accounting, and the orgs below it" in html
    assert "EMEA" not in html and "Acme" not in html
    html = login("alice").get(url("disk-usage", orgUid="org-americas")).content.decode()
    assert (
        "Org: org-americas, none you may see by name; only your rows directly in it, if any" in html
    )
    assert "Americas" not in html
    # An org that does not exist in the same words: the chip told whether one existed.
    html = login("alice").get(url("disk-usage", orgUid="org-nowhere")).content.decode()
    assert (
        "Org: org-nowhere, none you may see by name; only your rows directly in it, if any" in html
    )
    html = login("root").get(url("disk-usage", orgUid="org-nowhere")).content.decode()
    assert "Org: none with this orgUid" in html


def test_the_table_escapes_text_and_shows_a_dash_for_none(login, fleet):
    """The rows are drawn in one pass (ReportTable.body_html), with django-tables2's
    rules: text escaped, an empty value its column's default, rows even and odd."""
    odd = DestinationFactory(destination_uid="dest-odd", name='<b>R&D</b> "vault"')
    device = DeviceFactory(user=fleet["users"]["erin"], name="ERIN-ODD", version="")
    ArchiveFactory(device=device, destination=odd)
    html = login("root").get(url("disk-usage", srtDir="asc", view="archives")).content.decode()
    assert "<td >&lt;b&gt;R&amp;D&lt;/b&gt; &quot;vault&quot;</td>" in html
    assert "<b>R&D</b>" not in html
    assert re.search(r'<tr class="even"><td ><a class="device-link"', html)
    assert re.search(r'<tr class="odd"><td ><a class="device-link"', html)
    plan = login("root").get(url("migration-plan", srtDir="asc", view="archives")).content
    row = re.search(r"ERIN-ODD</a>.*?</tr>", plan.decode()).group(0)
    assert "<td >—</td>" in row  # the agent version, empty


@pytest.mark.parametrize(
    ("slug", "name", "given", "shown"),
    [
        ("backup-status", "health", "failing", "failing"),  # compliance's links
        ("backup-status", "health", "Critical", "critical"),
        ("backup-status", "alerted", "True", "true"),
        ("disk-usage", "coldStorage", "FALSE", "false"),
    ],
)
def test_the_form_shows_the_filter_the_page_applies(login, slug, name, given, shown):
    """The query reads these in any case, and health=failing; the select showed "Any"
    and Apply dropped the filter, widening the list (2026-12-06)."""
    html = login("root").get(url(slug, **{name: given})).content.decode()
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    assert re.search(rf'<option value="{shown}" selected>', select[1]), select[1]


@pytest.mark.parametrize(("name", "offered"), [("root", True), ("alice", True), ("dave", False)])
def test_the_org_picker_is_offered_to_a_reach_over_orgs(login, name, offered):
    """A desktop user's rows all lie in their own org, and the picker's type-ahead
    suggests them no org: "Org and below" could list all their rows or none (found by an
    audit: it was offered, and their own org's name typed in it listed nothing)."""
    client = login(name)
    for address in (url("backup-status", active="true"), "/reports/disk-usage/by-user/"):
        html = client.get(address).content.decode()
        assert ('<input type="search" name="orgTree"' in html) is offered, address
    suggestions = client.get("/orgs/suggestions/", {"q": "Accounting"}).json()["orgs"]
    assert bool(suggestions) is offered


@pytest.mark.parametrize(("name", "org"), [("dave", "Accounting"), ("sam", "Sales")])
def test_a_desktop_user_s_own_org_names_their_rows(login, name, org):
    """Every row of theirs shows their own org: in an address (a manager's link, a
    view), orgTree of its name said "names no org you may see", and exactOrgUid of it
    listed their rows under a chip saying "none you may see by name" (found by an
    audit). The names above and beside it stay unread."""
    client = login(name)
    theirs = device_names_seen_by(name)
    uid = User.objects.get(username=name).org.org_uid
    for params, chip in (
        ({"orgTree": org}, f"Org: {org}, and the orgs below it"),
        ({"orgTree": org[:3].lower()}, f"Org: {org[:3].lower()}, and the orgs below it"),
        ({"exactOrgUid": uid}, f"Org: {org} only, not the orgs below it"),
        ({"orgUid": uid}, f"Org: {org}, and the orgs below it"),
    ):
        html = client.get(url("backup-status", pgSize=1000, **params)).content.decode()
        assert set(device_links(html.encode())) == theirs, params
        assert chip in html and "none you may see" not in html, params
        assert "names no org" not in html and "EMEA" not in html and "Acme" not in html
    # Above, beside or below it, by name, path or uid: nothing, in the words of an org
    # that does not exist (a path to it is not read: the names above are not theirs).
    for params in (
        {"orgTree": "EMEA"},
        {"orgTree": f"EMEA › {org}"},
        {"orgTree": f"Acme › EMEA › {org}"},
        {"orgTree": "Engineering"},
        {"orgTree": f"{org} › Payroll"},
        {"exactOrgUid": "org-emea"},
        {"exactOrgUid": "org-eng"},
    ):
        html = client.get(url("backup-status", **params)).content.decode()
        assert device_links(html.encode()) == [], params
        assert "names no org you may see" in html, params


def test_an_org_shared_from_above_the_reach_is_said_as_the_page_lists_it(login, fleet):
    """An administrator shares disk usage of orgUid=EMEA with the org managers: alice
    (Accounting, below EMEA) is listed her subtree's rows in it, while its chip said
    "only your rows directly in it, if any" and the API link, which reads no sharing,
    answered none of them (found by an audit). EMEA's name is not hers to read."""
    from django.contrib.auth.models import Group

    from accounts.roles import ORG_MANAGERS
    from reports.dashboards.saved.models import SavedView

    view = SavedView.objects.create(
        owner=fleet["users"]["root"], name="EMEA", report="disk-usage", query="orgUid=org-emea"
    )
    view.shared_roles.set([Group.objects.get(name=ORG_MANAGERS)])
    address = url("disk-usage", srtKey="archiveBytes", srtDir="desc", orgUid="org-emea")
    unshared = "Org: org-emea, none you may see by name; only your rows directly in it, if any"
    for name, listed, shared in (
        ("alice", device_names_seen_by("alice"), True),  # alice's and dave's, below EMEA
        ("carol", set(), True),  # beside it: shared, her rows in it are none
        ("dave", set(), False),  # not shared with desktop users
    ):
        client = login(name)
        html = client.get(address).content.decode()
        assert set(device_links(html.encode())) == listed, name
        assert "EMEA" not in html and "Acme" not in html, name
        chip = re.search(r'<span class="chip" title="orgUid=org-emea">([^<]*)<', html)[1].strip()
        api = re.search(r'href="(/api/DeviceBackupReport\?[^"]+)"', html)[1].replace("&amp;", "&")
        in_api = client.get(api).json()["metadata"]["totalCount"]
        if shared:
            assert (
                chip == "Org: org-emea, shared with you; your rows in it and in the orgs below it"
            )
            assert "the API reads no sharing, and its link lists only your rows directly" in html
            assert in_api == 0  # none of theirs directly in EMEA: the notice says why
        else:
            assert chip == unshared and "the API reads no sharing" not in html
            assert in_api == len(listed)
    # Not shared with her, the same address reads as any uid beyond her reach.
    view.delete()
    html = login("alice").get(address).content.decode()
    assert unshared in html and device_links(html.encode()) == []
    assert "the API reads no sharing" not in html


def test_the_devices_view_says_its_csv_exports_list_archives(login):
    """On one row per device, "Export CSV" of "N devices" gave one row per archive with
    nothing on the page saying so (found by an audit of the pages)."""
    client = login("root")
    page = client.get(url("backup-status", active="true", view="devices")).content.decode()
    flat = " ".join(page.split())
    assert "Export CSV and Vendor CSV list one row per archive" in flat
    assert 'title="One row per archive: the vendor' in page


def test_an_org_name_several_orgs_bear_is_said_to_pick_them_all(login, orgs):
    """orgTree=Sales lists every Sales org within reach: the chip said it as if of one
    (found by an audit of the pages). Counted within the viewer's reach only: a
    manager of Americas picks its own Sales, and is told of no other."""
    DeviceFactory(name="US-SALES-1", user__org=OrgFactory(name="Sales", parent=orgs["americas"]))
    note = "“Sales” names 2 orgs: all are listed, with the orgs below each."
    storage = "/reports/disk-usage/by-user/?orgTree=Sales"
    sams = device_names_seen_by("sam")
    for address, listed in ((url("backup-status", orgTree="Sales"), sams), (storage, ())):
        html = login("root").get(address).content.decode()
        assert note in html and "US-SALES-1" in html, address
        assert all(device in html for device in listed), address
        html = login("carol").get(address).content.decode()
        assert "names 2 orgs" not in html and "US-SALES-1" in html, address
        assert not any(device in html for device in sams), address
    # Where the page has no Org field (a desktop user's, shared a view), its chip says it.
    sam = login("sam").get(url("backup-status", orgTree="Sales")).content.decode()
    assert "Org: Sales, and the orgs below it" in sam
