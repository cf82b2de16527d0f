"""The device page: one device's archives, owner, org path, network and alerts."""

import re

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix
from django.utils.html import escape

from reports.models import Device
from tests.factories import ArchiveFactory, DestinationFactory, ServerFactory


def device_url(device: Device) -> str:
    return f"/devices/{device.device_uid}/"


def test_it_shows_one_row_per_destination_archive(login, fleet):
    device = fleet["warning"]
    local = DestinationFactory(destination_uid="dest-local", name="Office NAS", type="local")
    ArchiveFactory(
        device=device,
        destination=local,
        server=ServerFactory(server_uid="srv-nas", name="nas-01", destination=local),
        archive_guid="archive-on-nas",
        archive_bytes=30 * 1024**3,
    )
    html = login("dave").get(device_url(device)).content.decode()
    assert "2 destinations" in html
    # Stored on both destinations: the cloud's 100 GiB and the NAS's 30 GiB.
    assert "130 GiB stored (all destinations)" in html
    assert "Office NAS" in html and "Code42 Cloud US" in html
    assert "archive-on-nas" in html


def test_it_shows_owner_org_path_network_and_alerts(login, fleet):
    html = login("root").get(device_url(fleet["critical"])).content.decode()
    assert "sam@example.com" in html
    assert "<span>Acme</span> › <span>EMEA</span> › <span>Sales</span>" in html
    assert "192.168.1.20:4242" in html and "203.0.113.7" in html
    assert "Critical: backup" in html and "Critical: connection" in html
    assert "badge badge-critical" in html
    assert "expires" in html
    assert f"/api/DeviceBackupReport?deviceUid={fleet['critical'].device_uid}" in html


def test_a_device_that_never_backed_up(login, fleet):
    html = login("carol").get(device_url(fleet["never"])).content.decode()
    assert "never backed up" in html
    assert "Never backed up</span>" in html


@pytest.mark.parametrize(
    ("name", "device", "status"),
    [
        ("dave", "critical", 404),  # sam's device, another desktop user
        ("alice", "critical", 404),  # Sales is a sibling of alice's Accounting
        ("alice", "never", 404),  # another region
        ("carol", "warning", 404),
        ("sam", "warning", 404),
        ("alice", "warning", 200),  # dave's device, in alice's org
        ("carol", "never", 200),  # erin's, below carol's region
        ("root", "critical", 200),
    ],
)
def test_only_who_may_see_the_device_can_open_it(login, fleet, name, device, status):
    assert login(name).get(device_url(fleet[device])).status_code == status


def test_unknown_device_is_404(login):
    assert login("root").get("/devices/nosuch/").status_code == 404


def test_report_rows_link_to_the_device_page(login, fleet):
    html = login("root").get("/reports/backup-status/?health=warning").content.decode()
    assert f'href="{device_url(fleet["warning"])}"' in html


def test_the_org_path_starts_where_the_viewers_reach_does(login, fleet):
    """alice manages Accounting: her reports' devices read "Accounting", never the
    names above her org; dave, a desktop user, reads only his own org."""
    html = login("alice").get(device_url(fleet["warning"])).content.decode()
    assert "<span>Accounting</span>" in html
    assert "EMEA" not in html and "Acme" not in html


DOUBLE_DOT = ("..", ".%2e", "%2e.", "%2e%2e")


def as_a_browser_asks(link: str) -> str:
    """The path a browser asks for a link: its "." and ".." segments resolved, "%2e" a
    dot among them too, as the URL standard reads a path (Django's test client asks for
    the link as it is)."""
    resolved: list[str] = []
    segments = link.split("/")
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        if segment.lower() in DOUBLE_DOT:
            resolved[1:] = resolved[1:-1]
            if last:
                resolved.append("")
        elif segment.lower() in (".", "%2e"):
            if last:
                resolved.append("")
        else:
            resolved.append(segment)
    return "/".join(resolved)


def test_a_browser_resolves_dot_segments_as_the_url_standard_says():
    assert as_a_browser_asks("/devices/../") == "/"
    assert as_a_browser_asks("/devices/%2E%2e/") == "/"
    assert as_a_browser_asks("/devices/a/./") == "/devices/a/"
    assert as_a_browser_asks("/devices/%252E%252E/") == "/devices/%252E%252E/"


@pytest.mark.parametrize(
    "uid", ["dev/slash", "dev/", "a b?c#d%e", "..", ".", "a/..", "./b", "%2e%2E", "%", "50%25"]
)
def test_a_uid_of_any_characters_opens_its_page_from_its_links(login, fleet, uid):
    """The links quote the uid; a "/" in it was a 404 (audit, 2026-12-06). A device
    named ".." linked to /devices/../, which a browser asks for as /, the overview (and
    "%2E%2E" alike): its page could not be opened from any link."""
    device = fleet["warning"]
    device.device_uid = uid
    device.save()
    client = login("root")
    html = client.get("/reports/backup-status/?health=warning").content.decode()
    listed = re.search(r'href="(/devices/[^"]+/)"', html)[1]
    for link in (listed, reverse("device", args=[uid])):  # the reports' and the emails'
        page = client.get(as_a_browser_asks(link))
        assert page.status_code == 200, link
        assert escape(uid) in page.content.decode()


@pytest.mark.parametrize("uid", ["a%41", "50%25", "%C3%A9", "x%2Fy", "%2e%2e", "a b%20c/é"])
def test_a_link_made_before_the_dots_were_escaped_opens_its_uid(login, fleet, uid):
    """An email sent before dot segments were escaped linked to the uid quoted once: the
    page, reading the path as links are made now, opened "aA" for "a%41" (or none), and
    the link of a uid holding a "%" opened another uid (found by an audit of the small
    defects). Links made now still open theirs."""
    from urllib.parse import quote

    device = fleet["warning"]
    device.device_uid = uid
    device.save()
    client = login("root")
    for link in (f"/devices/{quote(uid, safe='')}/", reverse("device", args=[uid])):
        page = client.get(as_a_browser_asks(link))
        assert page.status_code == 200, link
        assert escape(uid) in page.content.decode()


def test_a_path_two_uids_may_mean_opens_the_one_linked_now(login, fleet):
    """ "50%" links to /devices/50%2525/, which a link made before read as "50%25": with
    both devices there, each link made now opens its own."""
    fleet["warning"].device_uid = "50%"
    fleet["warning"].save()
    fleet["critical"].device_uid = "50%25"
    fleet["critical"].save()
    client = login("root")
    for device in (fleet["warning"], fleet["critical"]):
        page = client.get(reverse("device", args=[device.device_uid])).content.decode()
        assert escape(device.name) in page


@pytest.fixture
def served_below(settings):
    """The app served at /backup/ (FORCE_SCRIPT_NAME): the prefix its links are built
    with, as the WSGI handler sets it for each request (the test client does not)."""
    settings.FORCE_SCRIPT_NAME = "/backup"
    set_script_prefix("/backup/")
    yield
    clear_script_prefix()


def test_the_links_to_a_device_keep_the_path_the_app_is_served_below(login, fleet, served_below):
    """Served below a path (FORCE_SCRIPT_NAME), the reports linked a device to
    /devices/<uid>/ at the server's root, outside the app: a 404; and the device page
    its API twin likewise."""
    uid = fleet["warning"].device_uid
    client = login("root")
    html = client.get("/reports/backup-status/?health=warning").content.decode()
    assert f'href="/backup/devices/{uid}/"' in html
    assert 'href="/devices/' not in html
    storage = client.get("/reports/disk-usage/by-user/").content.decode()
    assert 'href="/backup/devices/' in storage and 'href="/devices/' not in storage
    own = login("dave").get("/").content.decode()
    assert f'href="/backup/devices/{uid}/"' in own and 'href="/devices/' not in own
    page = client.get(f"/devices/{uid}/").content.decode()
    assert f'href="/backup/api/DeviceBackupReport?deviceUid={uid}"' in page


def test_a_page_not_found_or_a_bad_request_links_back_below_the_path(login, fleet, served_below):
    """Served below a path, "Back to the overview" of a 404 (a device no longer
    there) and of a 400 (a parameter holding a NUL) led to the server's root."""
    client = login("root")
    missing = client.get("/devices/nosuch/")
    bad = client.get("/reports/backup-status/?device=%00")
    assert (missing.status_code, bad.status_code) == (404, 400)
    for page in (missing, bad):
        assert '<a href="/backup/">Back to the overview</a>' in page.content.decode()
