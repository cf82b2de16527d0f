"""Finding orgs and people (spec section 11): the org picker and its suggestions,
orgs told apart by path, a subtree picked by name or path, people by full name."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.utils.http import urlencode

from accounts import org_names
from accounts.models import Org
from accounts.roles import SYSTEM_ADMINISTRATORS, reach_of
from reports.catalog import REPORTS
from reports.dashboards.filters import dashboard_query
from reports.dashboards.report_pages import REPORT_PAGES
from reports.dashboards.saved.models import SavedView
from reports.models import ReportRow
from tests.api_support import API
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory
from tests.find_support import PASSWORD
from tests.import_support import run, write_csv
from tests.test_import_backup_report import vendor_row

SUGGESTIONS = "/orgs/suggestions/"


def suggested(client, typed: str) -> list[str]:
    response = client.get(SUGGESTIONS, {"q": typed})
    assert response.status_code == 200
    return [org["path"] for org in response.json()["orgs"]]


def devices_listed(client, **params) -> set[str]:
    status = REPORTS["backup-status"]
    query = dict(status.defaults) | {"pgSize": "1000"} | params
    html = client.get(f"{status.path}?{urlencode(query)}").content.decode()
    return {
        name for name in ReportRow.objects.values_list("device_name", flat=True) if name in html
    }


# The org picker's suggestions


def test_two_accountings_are_told_apart_by_path(signed_in):
    assert suggested(signed_in("root"), "accounting") == [
        "Northwind › Americas › Boston › Accounting",
        "Northwind › EMEA › London › Accounting",
    ]


def test_a_typed_path_narrows_the_suggestions(signed_in):
    client = signed_in("root")
    assert suggested(client, "london › acc") == ["Northwind › EMEA › London › Accounting"]
    assert suggested(client, "emea > acc") == ["Northwind › EMEA › London › Accounting"]
    assert suggested(client, "Boston / Accounting") == [
        "Northwind › Americas › Boston › Accounting"
    ]
    assert suggested(client, "") == []
    assert suggested(client, "nothing like it") == []


def test_an_org_manager_is_offered_only_orgs_in_reach_named_from_their_own(signed_in):
    client = signed_in("london-manager")
    assert suggested(client, "accounting") == ["London › Accounting"]
    assert suggested(client, "boston") == []
    assert suggested(client, "northwind") == []
    assert suggested(client, "lon") == ["London"]


def test_a_name_is_found_whatever_its_case_in_any_alphabet(signed_in, cities):
    """SQLite's LIKE folds ASCII only: "MÜNCHEN" did not find München there
    (backupreport.sqlite, 2026-12-06); PostgreSQL always found it."""
    OrgFactory(org_uid="org-muenchen", name="München", parent=cities["orgs"]["emea"])
    client = signed_in("root")
    for typed in ("MÜNCHEN", "münchen", "ÜNCH", "emea › MÜN"):
        assert suggested(client, typed) == ["Northwind › EMEA › München"], typed


def test_suggestions_need_a_sign_in_and_a_sane_length(client, signed_in):
    assert client.get(SUGGESTIONS, {"q": "acc"}).status_code == 302
    response = signed_in("root").get(SUGGESTIONS, {"q": "x" * 201})
    assert response.status_code == 400
    assert "at most 200" in response.json()["error"]


def test_a_desktop_user_is_offered_no_org(client, cities):
    assert client.login(username="lena", password=PASSWORD)
    assert suggested(client, "accounting") == []


# Picking a subtree


def test_a_parent_org_picks_its_children_at_any_depth(signed_in):
    client = signed_in("root")
    london = {"LT-ACARTER-01", "LT-ACARTER-02", "LT-ACARTER-03", "LT-LENA-01"}
    assert devices_listed(client, orgTree="EMEA") == london
    assert devices_listed(client, orgTree="Northwind") == london | {"LT-BOB-01"}
    assert devices_listed(client, orgTree="Northwind › Americas") == {"LT-BOB-01"}


def test_a_path_picks_one_accounting_and_the_name_picks_both(signed_in):
    client = signed_in("root")
    assert devices_listed(client, orgTree="Northwind › Americas › Boston › Accounting") == {
        "LT-BOB-01"
    }
    assert devices_listed(client, orgTree="boston > accounting") == {"LT-BOB-01"}
    assert len(devices_listed(client, orgTree="Accounting")) == 5
    assert devices_listed(client, orgTree="Lond") == devices_listed(client, orgTree="London")
    assert devices_listed(client, orgTree="no such org") == set()


def test_a_path_picks_the_org_of_its_letter_case_beside_a_case_twin(signed_in):
    """Orgs "London" and "london" side by side are two: picking one from the list listed
    the other's devices too (found by an oracle of the dashboards' answers)."""
    twin = OrgFactory(name="london", parent=Org.objects.get(org_uid="org-emea"))
    DeviceFactory(name="LT-TWIN-01", user=UserFactory(org=twin))
    client = signed_in("root")
    london = {"LT-ACARTER-01", "LT-ACARTER-02", "LT-ACARTER-03", "LT-LENA-01"}
    assert devices_listed(client, orgTree="Northwind › EMEA › London") == london
    assert devices_listed(client, orgTree="Northwind › EMEA › london") == {"LT-TWIN-01"}
    # Typed in a case of neither, the text still means both, as before.
    assert devices_listed(client, orgTree="emea › LONDON") == london | {"LT-TWIN-01"}


def test_a_name_picks_every_org_of_it_whatever_its_case_beside_no_twin(signed_in):
    """The letter case tells apart only orgs whose paths differ in it alone: a "boston"
    in EMEA is no twin of Americas' "Boston", and the name "Boston" picks both, as
    "Accounting" picks both Accountings (the case rule of the twins above dropped it)."""
    other = OrgFactory(name="boston", parent=Org.objects.get(org_uid="org-emea"))
    DeviceFactory(name="LT-EMEA-BOSTON-01", user=UserFactory(org=other))
    client = signed_in("root")
    both = {"LT-BOB-01", "LT-EMEA-BOSTON-01"}
    assert devices_listed(client, orgTree="Boston") == both
    assert devices_listed(client, orgTree="boston") == both
    assert devices_listed(client, orgTree="Northwind › EMEA › boston") == {"LT-EMEA-BOSTON-01"}
    assert devices_listed(client, orgTree="Americas › Boston") == {"LT-BOB-01"}


def test_an_org_manager_cannot_pick_outside_their_reach(signed_in):
    client = signed_in("london-manager")
    assert devices_listed(client, orgTree="Boston") == set()
    assert devices_listed(client, orgTree="Accounting") == {
        "LT-ACARTER-01",
        "LT-ACARTER-02",
        "LT-ACARTER-03",
        "LT-LENA-01",
    }


def test_a_path_from_above_the_viewers_reach_picks_their_rows_when_shared(signed_in, cities):
    """A view an administrator shared names the whole path; a manager below it, or a
    desktop user, read nothing from it (2026-12-06). Their own rows in it, no more."""
    london = {"LT-ACARTER-01", "LT-ACARTER-02", "LT-ACARTER-03", "LT-LENA-01"}
    path = "Northwind › EMEA › London › Accounting"
    root = cities["root"]
    for value in (path, "EMEA", "Northwind", "Northwind › Americas"):
        view = SavedView.objects.create(
            owner=root, name=value, report="backup-status", query=urlencode({"orgTree": value})
        )
        view.shared_users.set([cities["manager"], cities["lena"]])
    manager = signed_in("london-manager")
    assert devices_listed(manager, orgTree=path) == london
    assert devices_listed(manager, orgTree="EMEA") == london
    assert devices_listed(manager, orgTree="Northwind") == london  # not Boston's
    lena = signed_in("lena")
    assert devices_listed(lena, orgTree=path) == {"LT-LENA-01"}
    assert devices_listed(lena, orgTree="Northwind › Americas") == set()


@pytest.mark.parametrize("name", ["london-manager", "lena"])
def test_a_typed_name_above_the_reach_tells_nothing(signed_in, cities, name):
    """Read against the whole tree, an ancestor's name (or its start: "EME") answered the
    viewer's rows and any other name none: the names above their own org could be read a
    letter at a time (found by an audit of section 4). Not shared with them: nothing."""
    client = signed_in(name)
    for typed in ("EMEA", "EME", "Northwind", "Nort", "Northwind › EMEA › London", "Nowhere"):
        assert devices_listed(client, orgTree=typed) == set(), typed
    # A view of their own naming it is no one's sharing: the same.
    owner = cities["manager" if name == "london-manager" else name]
    view = SavedView.objects.create(
        owner=owner, name="probe", report="backup-status", query="orgTree=EMEA"
    )
    assert view.pk and devices_listed(client, orgTree="EMEA") == set()


def in_org(parent, name: str, device: str):
    """An org `name` under `parent`, with one person in it owning one device."""
    org = OrgFactory(name=name, parent=parent)
    ArchiveFactory(device=DeviceFactory(user=UserFactory(org=org), name=device))
    return org


@pytest.mark.parametrize("separator", ["/", ">", "›"])
def test_an_org_whose_name_holds_a_separator_is_picked_by_its_name_and_its_path(
    signed_in, cities, separator
):
    """An org named "London / Accounting" beside London's Accounting: its label offered,
    picked, listed nothing, and its name picked its neighbour's devices; "Audit / Tax"
    could not be picked at all (found by an audit of section 11)."""
    london, boston = cities["orgs"]["london"], cities["orgs"]["boston"]
    name = f"London {separator} Accounting"
    in_org(london, name, "LT-NAMED-01")
    in_org(london, f"Audit {separator} Tax", "LT-AUDIT-01")
    in_org(boston, f"Audit {separator} Tax", "LT-AUDIT-02")
    london_accounting = {"LT-ACARTER-01", "LT-ACARTER-02", "LT-ACARTER-03", "LT-LENA-01"}
    for persona, above in (("root", "Northwind › EMEA › London"), ("london-manager", "London")):
        client = signed_in(persona)
        label = f"{above} › {name}"
        assert label in suggested(client, name), persona
        assert f"{above} › Audit {separator} Tax" in suggested(client, f"audit {separator} tax")
        assert devices_listed(client, orgTree=label) == {"LT-NAMED-01"}, persona
        assert devices_listed(client, orgTree=name) == {"LT-NAMED-01"}, persona
        # Spaced otherwise, in another case: the same name.
        spaced = f"  london{separator}ACCOUNTING "
        assert devices_listed(client, orgTree=spaced) == {"LT-NAMED-01"}, persona
        # Typed with another separator it is no name but London's Accounting's path.
        other = ">" if separator != ">" else "/"
        typed = f"London {other} Accounting"
        assert devices_listed(client, orgTree=typed) == london_accounting, persona
        assert devices_listed(client, orgTree=f"London › Audit {separator} Tax") == {"LT-AUDIT-01"}
    # Two orgs of one name: the name picks both, each path one.
    client = signed_in("root")
    assert devices_listed(client, orgTree=f"Audit {separator} Tax") == {
        "LT-AUDIT-01",
        "LT-AUDIT-02",
    }
    typed = f"Boston › Audit {separator} Tax"
    assert devices_listed(client, orgTree=typed) == {"LT-AUDIT-02"}
    assert suggested(client, typed) == [f"Northwind › Americas › Boston › Audit {separator} Tax"]


def test_an_org_code_finds_its_org_a_separator_in_it_or_not(signed_in, cities):
    OrgFactory(name="Tax", ext_ref="TX/7", parent=cities["orgs"]["london"])
    OrgFactory(name="Audit", ext_ref="AU-7", parent=cities["orgs"]["london"])
    client = signed_in("root")
    assert suggested(client, "tx/7") == ["Northwind › EMEA › London › Tax"]
    assert suggested(client, "london › au-7") == ["Northwind › EMEA › London › Audit"]


# Every table of the reports that name an org: each view of each (the per-device views
# showed the bare name, 2026-12-06).
ORG_TABLES = [
    (page.report.slug, view)
    for page in REPORT_PAGES.values()
    if "orgName" in page.table.base_columns
    for view in (("archives", "devices") if page.device_table else ("archives",))
]


@pytest.mark.parametrize(("slug", "view"), ORG_TABLES)
def test_ambiguous_org_names_are_shown_with_their_path(signed_in, slug, view):
    # Every device of both Accountings, whatever the report's own filters.
    url = REPORTS[slug].url(view=view, os="", active="", coldStorage="", user="carter")
    html = " ".join(signed_in("root").get(url).content.decode().split())
    cells = re.findall(r"<td[^>]*>([^<]*Accounting)</td>", html)
    assert set(cells) == {
        "Northwind › EMEA › London › Accounting",
        "Northwind › Americas › Boston › Accounting",
    }


def test_the_picker_field_works_without_javascript(signed_in):
    html = signed_in("root").get(REPORTS["backup-status"].default_url).content.decode()
    assert 'name="orgTree"' in html
    assert 'list="org-suggestions"' in html
    assert '<datalist id="org-suggestions"></datalist>' in html


def test_org_names_of_a_path_are_told_from_the_reach(cities):
    accounting = cities["orgs"]["london_accounting"]
    for user, names in (
        (cities["root"], ("Northwind", "EMEA", "London", "Accounting")),
        (cities["manager"], ("London", "Accounting")),
        (cities["andrew"], ("Accounting",)),
    ):
        named = org_names.names_of([accounting.path], reach_of(user).scope)
        assert named[accounting.path].names == names


# People by full name


@pytest.mark.parametrize(
    "typed",
    [
        "Andrew Carter",
        "carter, andrew",
        "Carter, Andrew",
        "andrew",
        # As people also type them: no space after the comma, two spaces, a tab
        # (they found no one; found by an audit of the pages).
        "carter,andrew",
        "Carter ,Andrew",
        "Andrew  Carter",
        "Andrew\tCarter",
    ],
)
def test_a_full_name_finds_the_person_in_the_api(client, cities, typed):
    client.login(username="root", password=PASSWORD)
    response = client.get(API, {"user": typed, "pgSize": 100})
    assert response.status_code == 200
    assert {row["username"] for row in response.json()["data"]} == {"acarter"}


def test_a_full_name_is_a_superset_never_a_wrong_match(client, cities):
    client.login(username="root", password=PASSWORD)
    rows = client.get(API, {"user": "carter", "pgSize": 100}).json()["data"]
    assert {row["username"] for row in rows} == {"acarter", "bcarterson"}
    assert client.get(API, {"user": "Andrew Carterson"}).json()["data"] == []
    assert client.get(API, {"user": "Carter Andrew"}).json()["data"] == []


@pytest.mark.parametrize(
    ("first", "last", "typed"),
    [
        # HR data as the vendor exports it: a space left at an end, two between words.
        ("Ana ", "Dijk", ["Ana Dijk", "Dijk, Ana"]),
        ("Ana", " Dijk", ["Ana Dijk", "Dijk, Ana"]),
        ("Mary  Ann", "van  Dijk", ["Mary Ann van Dijk", "van Dijk, Mary Ann"]),
        # Typed just as the file spells it, double space and all.
        ("Mary  Ann", "van  Dijk", ["Mary  Ann van  Dijk", "van  Dijk,  Mary  Ann"]),
    ],
)
def test_a_full_name_with_stray_spaces_in_the_import_finds_the_person(
    db, tmp_path, client, first, last, typed
):
    """The names stored for "first last" and "last, first" are in the shape a typed name
    is read in (spaces run together): a vendor name with a space at an end or two
    between words found no one by its full name however it was typed (found by an audit
    of section 11 on an imported fleet)."""
    path = write_csv(tmp_path / "report.csv", [vendor_row(1, firstName=first, lastName=last)])
    run("import_backup_report", path)
    root = UserFactory(username="root")
    root.groups.add(Group.objects.get_or_create(name=SYSTEM_ADMINISTRATORS)[0])
    client.force_login(root)
    for text in typed:
        rows = client.get(API, {"user": text}).json()["data"]
        assert [row["userUid"] for row in rows] == ["user-1"], text


def test_the_search_page_finds_a_person_by_full_name(signed_in):
    client = signed_in("root")
    search = REPORTS["search"]
    for typed in ("Andrew Carter", "Carter, Andrew", "Carter,Andrew", "Andrew   Carter"):
        html = client.get(search.path, {"user": typed, "srtKey": "username"}).content.decode()
        assert "LT-ACARTER-01" in html and "LT-BOB-01" not in html


@pytest.mark.parametrize("view", ["archives", "devices"])
def test_the_spreadsheets_show_the_org_as_the_page_does(signed_in, view):
    """The CSV and XLSX of a page hold what is on screen: an ambiguous org by its path
    (they said "Accounting" of both, 2026-12-06)."""
    import csv
    import io

    import openpyxl

    client = signed_in("root")
    query = urlencode({"view": view, "user": "carter", "srtKey": "deviceName"})
    both = {"Northwind › EMEA › London › Accounting", "Northwind › Americas › Boston › Accounting"}
    response = client.get(f"/reports/backup-status/spreadsheet.csv?{query}")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["Org"] for row in rows} == both
    response = client.get(f"/reports/backup-status/spreadsheet.xlsx?{query}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    header = [cell.value for cell in sheet[1]]
    at = header.index("Org")
    assert {row[at] for row in sheet.iter_rows(min_row=2, values_only=True)} == both


def test_a_path_above_the_reach_in_a_subscription_sent_to_them_picks_their_rows(cities):
    """Sent by subscription, not shared: the list of the mail is the viewer's rows in
    the path, read as the view's owner reads it (the sender says who shared it)."""
    from reports.notifications.models import Subscription
    from reports.notifications.subscriptions import view_sheet

    root, manager = cities["root"], cities["manager"]
    view = SavedView.objects.create(
        owner=root, name="EMEA", report="backup-status", query="orgTree=EMEA&view=devices"
    )
    assert not dashboard_query(view.query_dict, manager).rows.exists()  # typed: nothing
    subscription = Subscription.objects.create(view=view, created_by=root, frequency="weekly")
    subscription.recipients.set([manager])
    _, query = view_sheet(subscription, manager)
    names = set(query.rows.values_list("device_name", flat=True))
    assert names == {"LT-ACARTER-01", "LT-ACARTER-02", "LT-ACARTER-03", "LT-LENA-01"}


@pytest.mark.parametrize("sent_to", ["name", "role"])
def test_the_link_of_a_subscription_s_message_shows_the_rows_it_counted(signed_in, cities, sent_to):
    """The view is private, sent by subscription: its message counted the recipient's
    rows in the path and its link ("Open it") listed none (found by an audit of the
    subscriptions). Unsubscribed, or the subscription ended: nothing again."""
    from django.contrib.auth.models import Group

    from reports.notifications.models import Subscription

    london = {"LT-ACARTER-01", "LT-ACARTER-02", "LT-ACARTER-03", "LT-LENA-01"}
    root, manager = cities["root"], cities["manager"]
    view = SavedView.objects.create(
        owner=root, name="EMEA", report="backup-status", query="orgTree=EMEA&view=devices"
    )
    subscription = Subscription.objects.create(view=view, created_by=root, frequency="weekly")
    if sent_to == "name":
        subscription.recipients.set([manager])
    else:
        subscription.recipient_roles.set(Group.objects.filter(user=manager))
    client = signed_in("london-manager")
    assert devices_listed(client, orgTree="EMEA") == london
    assert devices_listed(signed_in("lena"), orgTree="EMEA") == set()  # not sent to her
    client = signed_in("london-manager")  # one client: signed in again
    assert devices_listed(client, orgTree="EMEA") == london
    subscription.unsubscribed.add(manager)
    assert devices_listed(client, orgTree="EMEA") == set()
    subscription.unsubscribed.clear()
    Subscription.objects.filter(pk=subscription.pk).update(active=False)
    assert devices_listed(client, orgTree="EMEA") == set()


def test_an_orguid_above_the_reach_picks_their_rows_when_shared(signed_in, cities):
    """As orgTree: a compliance row's link (orgUid=) in a view an administrator shared
    lists the viewer's rows in the org; typed, it lists those directly in it (none)."""
    london = {"LT-ACARTER-01", "LT-ACARTER-02", "LT-ACARTER-03", "LT-LENA-01"}
    manager = signed_in("london-manager")
    assert devices_listed(manager, orgUid="org-emea") == set()
    view = SavedView.objects.create(
        owner=cities["root"], name="EMEA", report="backup-status", query="orgUid=org-emea"
    )
    view.shared_users.set([cities["manager"]])
    assert devices_listed(manager, orgUid="org-emea") == london
    assert devices_listed(manager, orgUid="org-americas") == set()  # not shared
