"""Answers that count (spec section 11), on small hand-made fleets that main got wrong:
health per destination on every surface, each device counted once, one row per device
on the dashboards, compliance down to the failing devices, the digest per device."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import given

from reports.history.snapshots import take
from reports.models import ReportRow
from reports.notifications.sending import send_due
from tests.api_support import PASSWORD
from tests.factories import ArchiveFactory, DestinationFactory, DeviceFactory, refreshing_once
from tests.personas import ago
from tests.test_api_roles import build_environment, environments, role_matrix_examples

GIB = 1024**3


def flat(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.content.decode().split())


@pytest.fixture
def two_destinations(fleet):
    """LT-SWOOD-01 (dave, Accounting): one fresh destination, one 36 days old; the
    vendor's own alert says critical."""
    device = DeviceFactory(
        user=fleet["users"]["dave"],
        name="LT-SWOOD-01",
        last_connected_date=ago(hours=1),
        alert_states="CriticalBackupAlert",
    )
    ArchiveFactory(device=device, last_completed_backup_date=ago(hours=2))
    ArchiveFactory(device=device, last_completed_backup_date=ago(days=36))
    return device


def test_a_stale_destination_makes_the_device_critical_on_the_overview(login, two_destinations):
    html = flat(login("root").get("/"))
    # SAM-OLD and LT-SWOOD-01; main counted LT-SWOOD-01 among the OK devices.
    assert re.search(
        r'<span class="stat-label">Critical</span> <span class="stat-value"[^>]*>2<', html
    )


@pytest.mark.parametrize("view", ["devices", "archives"])
def test_the_report_lists_it_among_the_critical(login, two_destinations, view):
    html = flat(
        login("root").get(f"/reports/backup-status/?active=true&health=critical&view={view}")
    )
    assert "LT-SWOOD-01" in html and "SAM-OLD" in html
    assert "DAVE-WIN" not in html


def test_the_device_page_colours_each_destination(login, two_destinations):
    html = flat(login("alice").get(f"/devices/{two_destinations.device_uid}/"))
    assert 'class="badge badge-critical">Critical</span>' in html
    stale = r'class="when age age-critical">[^<]+ UTC<span class="when-ago">.{0,60}</span>'
    assert re.search(stale + r"(1 month ago|36 days ago)", html)
    assert 'class="when age age-ok"' in html  # the fresh destination, its own colour
    assert "Each destination has its own health" in html


def test_the_snapshot_and_compliance_count_it_critical(login, two_destinations):
    take(timezone.now())
    from reports.history.models import Snapshot

    accounting = Snapshot.objects.get(org__name="Accounting")
    assert (accounting.critical, accounting.warning) == (1, 1)  # LT-SWOOD-01, DAVE-WIN
    html = flat(login("alice").get("/history/compliance/"))
    link = re.search(r'<a href="([^"]+health=failing[^"]*)"[^>]*>(\d+) devices?</a>', html)
    assert link is not None and link[2] == "2"
    listed = flat(login("alice").get(link[1].replace("&amp;", "&")))
    assert "LT-SWOOD-01" in listed and "DAVE-WIN" in listed
    assert "2 devices, one row each" in listed


def test_the_deepest_org_opens_to_its_failing_devices(login, two_destinations):
    take(timezone.now())
    html = flat(login("root").get("/history/compliance/?org=org-emea"))
    # Accounting has no org below it: no drill, yet its failing devices are one click away.
    assert "orgUid=org-accounting&amp;active=true&amp;health=failing" in html


@override_settings(COMPLIANCE_TARGET_PERCENT=60)
def test_the_target_colours_each_row(login, two_destinations):
    take(timezone.now())
    html = flat(login("root").get("/history/compliance/?org=org-acme"))
    assert "Target: 60%" in html
    rows = dict(re.findall(r'<tr class="(target-\w+)"> <th scope="row"><a [^>]*>(\w+)</a>', html))
    # EMEA: 3 of 6 OK (LT-SWOOD-01 among the failing); Americas: 2 of 3.
    assert {name: css for css, name in rows.items()} == {
        "EMEA": "target-missed",
        "Americas": "target-met",
    }


def test_the_digest_lists_it_once_as_critical(smtp_server, two_destinations, fleet):
    ArchiveFactory(device=two_destinations, last_completed_backup_date=ago(hours=3))
    send_due()
    (message,) = smtp_server.to(fleet["users"]["alice"].email)
    listed = message.text.split("Devices not backing up")[1].split("Cold storage")[0]
    assert listed.count("LT-SWOOD-01") == 1
    assert "LT-SWOOD-01 (dave, Accounting): Critical" in listed


def test_the_digest_counts_never_backed_up_with_not_backing_up(smtp_server, fleet):
    send_due()
    (message,) = smtp_server.to(fleet["users"]["root"].email)
    # DAVE-WIN (warning), SAM-OLD (critical), ERIN-NEW (never backed up)
    assert "3 devices not backing up" in message.subject
    assert "ERIN-NEW" in message.text.split("Devices not backing up")[1]


def test_a_device_with_two_archives_moves_its_selection_once(login, fleet):
    url = (
        "/reports/migration-plan/?os=mac&active=true&view=devices&srtKey=selectedBytes&srtDir=desc"
    )
    before = flat(login("root").get(url))
    device = DeviceFactory(user=fleet["users"]["dave"], name="LT-ACARTER-02", os="mac")
    selection = int(39.7 * GIB)
    for _ in range(2):
        ArchiveFactory(device=device, selected_bytes=selection, archive_bytes=selection)
    after = flat(login("root").get(url))

    def to_move(html: str) -> int:
        match = re.search(
            r'Data to move \(selected, each device once\)</span><span class="total-value"'
            r' title="([\d,]+) bytes"',
            html,
        )
        return int(match[1].replace(",", ""))

    assert to_move(after) - to_move(before) == selection
    assert "39.7 GiB" in after and "79.4 GiB" in after  # selected once, stored twice
    per_archive = flat(login("root").get(url.replace("view=devices", "view=archives")))
    assert to_move(per_archive) == to_move(after)  # the totals do not depend on the view


def test_the_overview_selected_total_counts_each_device_once(login, fleet):
    before = flat(login("root").get("/"))
    device = DeviceFactory(user=fleet["users"]["dave"], name="LT-ACARTER-02", os="mac")
    for _ in range(2):
        ArchiveFactory(device=device, selected_bytes=10 * GIB, archive_bytes=10 * GIB)
    after = flat(login("root").get("/"))
    totals = [
        int(m.replace(",", ""))
        for html in (before, after)
        for m in re.findall(r'title="([\d,]+) bytes">[^<]*</span>', html)[:1]
    ]
    assert totals[1] - totals[0] == 10 * GIB


def test_the_per_archive_view_is_one_click_away(login, two_destinations):
    html = flat(
        login("root").get(
            "/reports/backup-status/?active=true&view=devices&srtKey=lastConnectedDate&srtDir=asc"
        )
    )
    assert "One row per archive</a>" in html
    assert html.count("LT-SWOOD-01</a>") == 1
    archives = flat(
        login("root").get(
            "/reports/backup-status/?active=true&view=archives&srtKey=lastConnectedDate&srtDir=asc"
        )
    )
    assert archives.count("LT-SWOOD-01</a>") == 2
    assert "one per archive" in archives


@pytest.fixture
@refreshing_once
def second_expired(fleet):
    """LT-COLD-02 (dave): its first archive (by guid, the device's one row in the
    per-device view) live; its second in cold storage on another destination, expired."""
    device = DeviceFactory(user=fleet["users"]["dave"], name="LT-COLD-02")
    ArchiveFactory(device=device, archive_guid="100000000000000001")
    ArchiveFactory(
        device=device,
        archive_guid="100000000000000002",
        destination=DestinationFactory(destination_uid="dest-vault", name="Vault"),
        cold_storage=True,
        cold_storage_expire_date=ago(days=1),
    )
    return device


@pytest.mark.parametrize(
    "archive_filter",
    [
        "coldStorageExpired=true",
        "coldStorageExpired=false",
        "coldStorage=true",
        "coldStorage=false",
        "destination=Vault",
        "destinationUid=dest-vault",
        "archiveGuid=100000000000000002",
    ],
)
@pytest.mark.parametrize("report", ["backup-status", "migration-plan"])
def test_a_filter_on_archives_lists_their_devices_in_either_view(
    login, second_expired, report, archive_filter
):
    """One row per device lists the devices of the rows the filter keeps, whichever of
    their archives it keeps (spec section 11: a count links to a list with the same
    count): coldStorageExpired kept LT-COLD-02 only when its first archive expired."""
    client = login("root")

    def devices(view: str) -> list[str]:
        url = f"/reports/{report}/?view={view}&srtKey=deviceName&pgSize=500&{archive_filter}"
        return sorted(set(re.findall(r'href="/devices/([^/"]+)/"', flat(client.get(url)))))

    per_archive = devices("archives")
    assert per_archive and devices("devices") == per_archive


def test_the_per_device_view_sorts_by_each_device_s_archives_summed(login, fleet):
    """srtKey=archiveBytes in one row per device orders devices by their stored bytes
    (spec section 11: summed over archives), not by their first archive's (2026-12-06)."""
    two = DeviceFactory(user=fleet["users"]["dave"], name="EDGE-TWO")
    ArchiveFactory(device=two, archive_guid="100000000000000003", archive_bytes=4 * GIB)
    ArchiveFactory(device=two, archive_guid="100000000000000004", archive_bytes=6 * GIB)
    one = DeviceFactory(user=fleet["users"]["dave"], name="EDGE-ONE")
    ArchiveFactory(device=one, archive_bytes=9 * GIB)
    client = login("root")

    def order(view: str, direction: str) -> list[str]:
        url = f"/reports/migration-plan/?view={view}&device=EDGE-&srtKey=archiveBytes&srtDir="
        return re.findall(r">(EDGE-\w+)</a>", flat(client.get(url + direction)))

    assert order("devices", "desc") == ["EDGE-TWO", "EDGE-ONE"]  # 10 GiB, then 9
    assert order("devices", "asc") == ["EDGE-ONE", "EDGE-TWO"]
    assert order("archives", "desc") == ["EDGE-ONE", "EDGE-TWO", "EDGE-TWO"]  # 9, 6, 4
    html = flat(client.get("/reports/migration-plan/?view=devices&device=EDGE-"))
    assert re.search(r'<a [^>]*href="[^"]*srtKey=archiveBytes[^"]*"[^>]*>Stored', html), html
    assert 'title="10,737,418,240 bytes">10.0 GiB' in html


def test_the_api_stays_one_row_per_archive(client, two_destinations, fleet):
    assert client.login(username="root", password=PASSWORD)
    body = client.get("/api/DeviceBackupReport?deviceUid=" + two_destinations.device_uid).json()
    assert len(body["data"]) == 2


@pytest.mark.django_db
@role_matrix_examples(12)
@given(environment=environments())
def test_device_rows_follow_the_role_limit(client, environment):
    """The per-device view lists each device the user may see once, and nothing else."""
    with transaction.atomic():
        users = build_environment(environment)
        for user in users:
            user.set_password(PASSWORD)
            user.save()
            client.force_login(user)
            expected = set(ReportRow.objects.visible_to(user).values_list("device_uid", flat=True))
            response = client.get(
                "/reports/backup-status/?view=devices&srtKey=deviceName&pgSize=500"
            )
            assert response.status_code == 200
            shown = re.findall(r'href="/devices/([^/"]+)/"', response.content.decode())
            assert sorted(shown) == sorted(expected)
        transaction.set_rollback(True)


def test_digest_numbers_have_thousands_separators(fleet):
    from reports.notifications.compose import digest_email
    from reports.notifications.digests import Count, Digest

    digest = Digest(
        frequency="weekly",
        scope="the whole fleet",
        counts={},
        figures=[
            Count("Active devices", 123_456, 1_234, "https://x/a"),
            Count("Critical", 7_890, -1_001, "https://x/c"),
        ],
        stale=[],
        stale_total=12_345,
        expiring=[],
        expiring_total=2_001,
        stale_url="https://x/s",
        expiring_url="https://x/e",
        previous_at=None,
    )
    email = digest_email(fleet["users"]["root"], digest)
    text, html = email.body, email.alternatives[0][0]
    assert "Active devices: 123,456 (+1,234)" in text and "Critical: 7,890 (-1,001)" in text
    assert "12,345 devices in warning, critical or never backed up" in text
    assert "2,001 devices" in text
    assert "123,456" in html and "12,345 devices" in html
    assert "12,345 devices not backing up" in email.subject
