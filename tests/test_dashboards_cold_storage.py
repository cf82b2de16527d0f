"""Cold storage (use case 4, spec section 11): days left, expired archives marked and
counted with a link to exactly them, a subtitle that follows the sort."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from reports.catalog import REPORTS
from reports.models import ReportRow
from tests.factories import ArchiveFactory, DeviceFactory
from tests.personas import ago

COLD = REPORTS["cold-storage"]


@pytest.fixture
def expired(fleet):
    """Two archives whose expiry passed, beside sam's that expires in 30 days."""
    for name, days in (("OLD-EXPIRED", 40), ("JUST-EXPIRED", 2)):
        ArchiveFactory(
            device=DeviceFactory(user=fleet["users"]["sam"], name=name),
            cold_storage=True,
            cold_storage_expire_date=ago(days=days, hours=1),
        )


def page(client, **params) -> str:
    response = client.get(COLD.path, dict(COLD.defaults) | params)
    assert response.status_code == 200
    return response.content.decode()


def test_each_expiry_says_the_days_left_or_that_it_passed(login, expired):
    html = page(login("root"))
    assert re.search(r"<small>(29|30) days left</small>", html)
    assert html.count('class="badge badge-expired"') == 2
    assert "expired</span> 40 days ago" in html
    assert "expired</span> 2 days ago" in html
    assert "ago</span></time><small>" not in html  # one age an expiry: the cell's own


def test_the_expired_are_counted_and_the_count_links_to_them(login, expired):
    client = login("root")
    html = page(client)
    count = re.search(r'href="([^"]+)" title="Archives whose expiry[^"]*">(\d+)</a>', html)
    assert count is not None and count.group(2) == "2"
    listed = client.get(count.group(1).replace("&amp;", "&")).content.decode()
    assert "OLD-EXPIRED" in listed and "JUST-EXPIRED" in listed
    assert "SAM-OLD" not in listed
    assert "2 rows" in listed
    not_expired = page(client, coldStorageExpired="false")
    assert "SAM-OLD" in not_expired and "OLD-EXPIRED" not in not_expired


def test_the_expired_count_is_within_reach(login, expired):
    html = page(login("alice"))  # Accounting: none of sam's archives
    assert re.search(r'title="Archives whose expiry[^"]*">0</a>', html)


def test_the_subtitle_follows_the_sort(login, expired):
    client = login("root")
    assert "longest since their last connection first" in page(client)
    html = page(client, srtKey="coldStorageExpireDate", srtDir="asc")
    assert "Archives in cold storage, soonest to expire first." in html
    assert "longest since their last connection" not in html
    html = page(client, srtKey="archiveBytes", srtDir="desc")
    assert "Archives in cold storage, largest archives first." in html
    # A field with no phrase of its own in words, never its vendor name (found by an
    # audit of the pages: "sorted by destinationName, ascending").
    html = page(client, srtKey="destinationName", srtDir="asc")
    assert "Archives in cold storage, by destination name, A to Z." in html
    assert 'title="Sort by destination name"' in html and "destinationName," not in html
    html = page(client, srtKey="backupCompletePercentage", srtDir="desc")
    assert "by backup complete percentage, largest first." in html


def test_expired_is_a_dashboard_filter_named_beside_the_api_link(login, expired):
    html = page(login("root"), coldStorageExpired="true")
    assert '<span title="coldStorageExpired">Expiry passed</span>:' in html


def test_the_expired_chip_reads_as_words(login, expired):
    html = page(login("root"), coldStorageExpired="true")
    assert "Expiry passed: yes" in html


def test_the_days_left_count_as_the_date_beside_them(login, fleet):
    """Half a minute into a minute, an expiry ten days after that minute began: the date
    said "in 9 days" and the count "10 days left" (found by an audit, 2026-12-06)."""
    moment = (timezone.now() + dt.timedelta(days=1)).replace(second=30, microsecond=0)
    ArchiveFactory(
        device=DeviceFactory(user=fleet["users"]["sam"], name="TEN-DAYS"),
        cold_storage=True,
        cold_storage_expire_date=moment.replace(second=0) + dt.timedelta(days=10),
    )
    with time_machine.travel(moment, tick=False):
        html = page(login("root"), device="TEN-DAYS")
    assert "<small>9 days left</small>" in html
    assert "in 9 days" not in html  # one age a date: its cell's own (an audit found two)


@pytest.mark.parametrize("name", ["root", "alice", "dave"])
@pytest.mark.parametrize(
    ("pick", "in_it", "archives_label", "space_label", "subject"),
    [
        ("true", {True}, "Archives in cold storage", "Space held in cold storage", None),
        (
            "false",
            {False, None},
            "Archives not in cold storage",
            "Space held, not in cold storage",
            "Archives not in cold storage, and devices without an archive, longest since",
        ),
        (
            "",
            {True, False, None},
            "Archives, in cold storage or not",
            "Space held by every archive",
            "Archives in cold storage or not, and devices without an archive, longest since",
        ),
    ],
    ids=["in", "not-in", "any"],
)
def test_the_totals_count_the_archives_the_cold_storage_filter_picked(
    login, fleet, name, pick, in_it, archives_label, space_label, subject
):
    """The page's own form offers Cold storage: No and Any, which list a row for each
    device without an archive: its "Archives" counted rows (ERIN-NEW, DAVE-BARE were
    archives), and its subtitle and "Space held" said "in cold storage" of archives
    that are not (found by an audit)."""
    DeviceFactory(user=fleet["users"]["dave"], name="DAVE-BARE")  # no archive
    client = login(name)
    html = " ".join(page(client, coldStorage=pick).split())
    rows = ReportRow.objects.visible_to(User.objects.get(username=name))
    picked = [row for row in rows if row.cold_storage in in_it]
    archives = [row for row in picked if row.archive_id is not None]
    assert len(archives) < len(picked) or pick == "true"  # a device without one is listed
    assert (
        f'<span class="total-label">{archives_label}</span>'
        f'<span class="total-value">{len(archives):,}</span>'
    ) in html
    stored = sum(row.archive_bytes or 0 for row in archives)
    assert (
        f'<span class="total-label">{space_label}</span>'
        f'<span class="total-value" title="{stored:,} bytes">'
    ) in html
    lead = re.search(r'<p class="lead">([^<]*)</p>', html)[1]
    if subject is None:
        assert lead == COLD.question
    else:
        assert lead.startswith(subject) and "Archives in cold storage," not in lead
