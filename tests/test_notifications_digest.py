"""Digests (spec section 10) received by a real SMTP server and parsed: recipients,
subject, both parts, absolute links, the unsubscribe headers, the change since the
previous digest, and one per recipient per period."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command

from reports.notifications.models import Frequency, Message, Preference
from reports.notifications.sending import send_due
from tests.factories import (
    ArchiveFactory,
    DeviceFactory,
    OrgFactory,
    UserFactory,
    refreshing_once,
)
from tests.personas import ago

SITE = "https://backup.example.com"


def links(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)]


@pytest.fixture
def sent(smtp_server, fleet):
    send_due()
    return smtp_server


def test_managers_and_administrators_get_a_digest(sent, fleet):
    users = fleet["users"]
    assert sent.addresses() == sorted(users[n].email for n in ("alice", "carol", "root"))
    assert all(len(r.envelope_to) == 1 for r in sent.received)
    assert Message.objects.filter(kind="digest", state="sent").count() == 3


def test_a_digest_has_both_parts_the_figures_and_absolute_links(sent, fleet):
    (message,) = sent.to(fleet["users"]["alice"].email)
    assert message.subject == (
        "Backup Report weekly digest: 1 device not backing up (Accounting and the orgs below it)"
    )
    assert message.message["To"] == fleet["users"]["alice"].email
    text, html = message.text, message.html
    for part in (text, html):
        assert "DAVE-WIN" in part
        assert "Warning" in part
        assert "SAM-OLD" not in part  # Sales is not below Accounting
    assert "Active devices: 3" in text  # alice's, dave's two
    assert f"{SITE}/devices/{fleet['warning'].device_uid}/" in links(html)
    assert f"{SITE}/devices/{fleet['warning'].device_uid}/" in text
    hrefs = links(html)
    assert all(h.startswith(f"{SITE}/") for h in hrefs), hrefs
    assert f"{SITE}/" in hrefs and f"{SITE}/notifications/" in hrefs
    assert any(h.startswith(f"{SITE}/reports/backup-status/") for h in hrefs)


def test_cold_storage_expiring_within_30_days_is_listed(sent, fleet):
    (message,) = sent.to(fleet["users"]["root"].email)
    cold = message.text.split("Cold storage expiring within 30 days")[1]
    assert "SAM-OLD" in cold.split("Reports:")[0]
    assert "(1 device)" in cold.splitlines()[0]


def test_a_digest_writes_dates_as_every_page_does(sent, fleet):
    """One format (backup_format.moment_text): the UTC time and how long ago, or ahead."""
    (message,) = sent.to(fleet["users"]["root"].email)
    last = fleet["warning"].archives.get().last_completed_backup_date
    for part in (message.text, message.html):
        assert f"{last:%Y-%m-%d %H:%M} UTC · 5 days ago" in part
    assert re.search(r"expires \d{4}-\d\d-\d\d \d\d:\d\d UTC · in (29|30) days", message.text)


def test_every_message_carries_a_one_click_unsubscribe(sent, fleet):
    for received in sent.received:
        header = str(received.message["List-Unsubscribe"]).strip()
        assert re.fullmatch(rf"<{SITE}/notifications/unsubscribe/[^>]+/>", header), header
        assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert header[1:-1] in links(received.html)
        assert header[1:-1] in received.text


def test_a_second_run_the_same_period_sends_nothing(sent, fleet):
    outcome = send_due()
    assert (outcome.sent, outcome.skipped) == (0, 3)
    assert len(sent.received) == 3


def test_the_next_digest_says_what_changed(smtp_server, fleet):
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        send_due()
    # A week later every device of Accounting is critical: none backed up since.
    with time_machine.travel(start + dt.timedelta(days=7), tick=False):
        send_due()
    first, second = smtp_server.to(fleet["users"]["alice"].email)
    assert "Warning: 1" in first.text and "(+" not in first.text
    assert "Warning: 0 (-1)" in second.text
    assert "OK: 0 (-2)" in second.text and "Critical: 3 (+3)" in second.text
    assert "changes since the previous digest" in second.html


def test_a_manager_moved_to_another_org_reads_no_change_against_the_old_one(
    smtp_server, fleet, orgs
):
    """The change is between two counts of the same rows: alice, moved from Accounting
    to Engineering, read Engineering's counts less Accounting's (found by an audit)."""
    alice = fleet["users"]["alice"]
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        send_due()
    alice.org = orgs["engineering"]
    alice.save()
    with time_machine.travel(start + dt.timedelta(days=7), tick=False):
        send_due()
    first, second = smtp_server.to(alice.email)
    assert "(Accounting and the orgs below it)" in first.subject
    assert "(Engineering and the orgs below it)" in second.subject
    assert "(+" not in second.text and "(-" not in second.text
    assert "previous digest" not in second.text + second.html
    # Her next one, of the same rows, says what changed again.
    with time_machine.travel(start + dt.timedelta(days=14), tick=False):
        send_due()
    assert "previous digest" in smtp_server.to(alice.email)[-1].text


def test_thresholds_changed_since_the_previous_digest_read_as_no_change(
    smtp_server, fleet, settings
):
    """Counts judged at other BACKUP_WARNING_DAYS/BACKUP_CRITICAL_DAYS than the previous
    digest's are not compared with them: "Warning: 0 (-1)" was the setting's change told
    as the devices getting better (found by an audit of sections 9 and 11, as the trend
    and the weekly summary). The digest says why it shows no change."""
    alice = fleet["users"]["alice"]
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        send_due()
    settings.BACKUP_WARNING_DAYS, settings.BACKUP_CRITICAL_DAYS = 7, 14
    with time_machine.travel(start + dt.timedelta(days=7), tick=False):
        send_due()
    first, second = smtp_server.to(alice.email)
    assert "Warning: 1" in first.text
    assert "(+" not in second.text and "(-" not in second.text
    said = (
        "No change since the previous digest is shown: it was judged at 3/7 days "
        "(warning/critical), this one at 7/14."
    )
    assert said in second.text and said in html.unescape(second.html)
    # The next one, judged alike, says what changed again.
    with time_machine.travel(start + dt.timedelta(days=14), tick=False):
        send_due()
    assert "previous digest" in smtp_server.to(alice.email)[-1].text
    assert "No change since" not in smtp_server.to(alice.email)[-1].text


def test_daily_and_off(smtp_server, fleet):
    users = fleet["users"]
    Preference.objects.create(user=users["alice"], digest=Frequency.DAILY)
    Preference.objects.create(user=users["carol"], digest=Frequency.OFF)
    start = dt.datetime.now(dt.UTC)
    for day in range(3):
        with time_machine.travel(start + dt.timedelta(days=day), tick=False):
            send_due()
    assert len(smtp_server.to(users["alice"].email)) == 3
    assert smtp_server.to(users["carol"].email) == []
    assert 1 <= len(smtp_server.to(users["root"].email)) <= 2  # weekly: 3 days span 1 or 2 weeks


def test_desktop_users_and_users_without_email_get_no_digest(smtp_server, fleet):
    users = fleet["users"]
    users["carol"].email = ""
    users["carol"].save()
    send_due()
    assert users["dave"].email not in smtp_server.addresses()
    assert sorted(smtp_server.addresses()) == sorted([users["alice"].email, users["root"].email])


def test_the_command_sends_and_says_so(smtp_server, fleet, capsys):
    call_command("send_notifications")
    assert "Sent 3 message(s); 0 failed" in capsys.readouterr().out
    call_command("send_notifications")
    assert "Sent 0 message(s); 0 failed (retried next run); 3 already sent" in (
        capsys.readouterr().out
    )
    assert len(smtp_server.received) == 3


def test_a_dry_run_sends_and_records_nothing(smtp_server, fleet, capsys):
    call_command("send_notifications", "--dry-run")
    out = capsys.readouterr().out
    assert out.count("Would send to") == 3
    assert smtp_server.received == [] and not Message.objects.exists()


def test_a_dry_run_says_only_what_the_run_would_send(smtp_server, fleet, capsys):
    """Run after the period's digests went, a dry run said it would send each again,
    where the run skips them all (found by an audit): it reads the send log as the run
    does, and says nothing of what went."""
    call_command("send_notifications")
    assert len(smtp_server.received) == 3
    capsys.readouterr()
    call_command("send_notifications", "--dry-run")
    assert "Would send to" not in capsys.readouterr().out
    call_command("send_notifications")
    assert len(smtp_server.received) == 3


def test_a_digest_costs_the_same_few_queries_whatever_the_reach(fleet, django_assert_num_queries):
    from reports.notifications.digests import digest_of

    now = dt.datetime.now(dt.UTC)
    for name in ("alice", "root"):  # two devices listed or twenty: no query per device
        user = type(fleet["users"][name]).objects.select_related("org").get(username=name)
        # groups, health counts, stale, expiring, count, the orgs' names
        with django_assert_num_queries(6):
            digest_of(user, "weekly", now)


def devices_listed(page: str) -> int:
    """The devices a report page lists, as its totals or its per-device heading say."""
    total = re.search(r'Devices</span><span class="total-value">([\d,]+)<', page)
    heading = re.search(r"([\d,]+) devices?, one row each", page)
    return int((total or heading)[1].replace(",", ""))


def counted_links(digest_html: str) -> list[tuple[str, int, str]]:
    """(what, the count, its link) of every count the digest shows."""
    figures = re.findall(
        r'<div style="font-size:12px;color:#5b6b7b;">([^<]+)</div>\s*'
        r'<div[^>]*><a href="([^"]+)"[^>]*>([\d,]+)</a>',
        digest_html,
    )
    sections = re.findall(r'<a href="([^"]+)"[^>]*>([\d,]+) devices?</a>', digest_html)
    return [(label, int(n.replace(",", "")), html.unescape(url)) for label, url, n in figures] + [
        ("section", int(n.replace(",", "")), html.unescape(url)) for url, n in sections
    ]


@pytest.mark.parametrize("recipient", ["root", "alice"])
def test_every_count_links_to_a_list_of_as_many_devices(sent, fleet, login, recipient):
    """Spec section 11: every count links to a list with the same count. The digest's
    counts linked to nothing; its only links, the reports' first pages, listed other
    sets (found by an audit, 2026-12-06)."""
    (message,) = sent.to(fleet["users"][recipient].email)
    counted = counted_links(message.html)
    assert len(counted) == 7  # active, the four healths, not backing up, cold storage
    assert sum(n for _, n, _ in counted) > 0
    browser = login(recipient)
    for what, count, url in counted:
        assert url.startswith(SITE) and url in message.text
        page = browser.get(url.removeprefix(SITE))
        assert page.status_code == 200, url
        assert devices_listed(page.content.decode()) == count, (what, url)


@pytest.mark.parametrize("days", ["abc", "-1", "99999999"])
def test_a_bad_expiry_window_is_a_400_naming_it(login, fleet, days):
    page = login("root").get(f"/reports/cold-storage/?coldStorageExpiresWithin={days}")
    assert page.status_code == 400
    assert "coldStorageExpiresWithin" in page.content.decode()


def test_an_org_whose_name_repeats_is_named_by_its_path(smtp_server, fleet, orgs):
    """Spec section 11: an org with its path where its name alone is ambiguous. The
    digest named both Sales orgs "Sales" (found by an audit, 2026-12-06)."""
    other_sales = OrgFactory(org_uid="org-sales-us", name="Sales", parent=orgs["americas"])
    device = DeviceFactory(user=UserFactory(username="uma", org=other_sales), name="UMA-OLD")
    ArchiveFactory(device=device, last_completed_backup_date=ago(days=20))
    send_due()
    (message,) = smtp_server.to(fleet["users"]["root"].email)
    assert "(sam, Acme › EMEA › Sales)" in message.text
    assert "(uma, Acme › Americas › Sales)" in message.text
    (message,) = smtp_server.to(fleet["users"]["carol"].email)  # one Sales in her reach
    assert "(uma, Sales)" in message.text


def test_the_stale_list_is_in_the_order_of_the_list_it_links_to(fleet, client):
    """The digest put never-backed-up devices last and its link's page first (found by
    an audit): the digest's devices are the first rows of that page, in its order."""
    from django.utils import timezone

    from reports.notifications.digests import digest_of

    root = fleet["users"]["root"]
    digest = digest_of(root, "weekly", timezone.now())
    names = [device.name for device in digest.stale]
    assert "ERIN-NEW" in names and len(names) >= 3
    assert_stale_list_opens_its_link(client, root, digest)


def test_the_stale_list_breaks_ties_as_the_list_it_links_to(fleet, client):
    """More devices never backed up than the digest lists, some with a copy that never
    completed, some with none: it broke their tie by device id, its link's page by
    archive then device (found by an audit): other devices than the page's first."""
    from django.utils import timezone

    from reports.notifications.digests import STALE_LISTED, digest_of

    @refreshing_once
    def never_backed_up():
        for n in range(STALE_LISTED // 2 + 1):
            copy = DeviceFactory(user=fleet["users"]["dave"], name=f"NEVER-COPY-{n}")
            ArchiveFactory(device=copy, last_completed_backup_date=None)
            DeviceFactory(user=fleet["users"]["dave"], name=f"NEVER-BARE-{n}")

    never_backed_up()
    root = fleet["users"]["root"]
    digest = digest_of(root, "weekly", timezone.now())
    assert len(digest.stale) == STALE_LISTED
    assert_stale_list_opens_its_link(client, root, digest)


def assert_stale_list_opens_its_link(client, reader, digest) -> None:
    names = [device.name for device in digest.stale]
    client.force_login(reader)
    link = urlsplit(digest.stale_url)
    page = client.get(f"{link.path}?{link.query}").content.decode()
    listed = re.findall(r'class="device-link"[^>]*>([^<]+)<', page)
    assert listed[: len(names)] == names


def test_a_device_whose_uid_holds_a_line_break_is_listed_and_its_link_opens(
    smtp_server, fleet, login
):
    """The import takes a uid with a line break (a quoted CSV cell may hold one). Its
    link was refused by reverse(), whose NoReverseMatch stopped the run: no digest,
    alert or subscription after it went; and its page, linked from the reports, was a
    404 (found by an audit of section 10)."""
    device = DeviceFactory(user=fleet["users"]["dave"], name="LINE-BREAK", device_uid="12\n34")
    ArchiveFactory(device=device, last_completed_backup_date=ago(days=30))
    outcome = send_due()
    assert (outcome.sent, outcome.failed) == (3, 0)  # alice, carol and root
    (message,) = smtp_server.to(fleet["users"]["alice"].email)
    [url] = [u for u in links(message.html) if u.startswith(f"{SITE}/devices/12")]
    assert url in message.text
    browser = login("alice")
    page = browser.get(url.removeprefix(SITE))
    assert page.status_code == 200 and "LINE-BREAK" in page.content.decode()
    # The reports' own link to it, built by hand (reports.dashboards.columns), opens too.
    listed = browser.get("/reports/backup-status/?active=true&view=devices&health=critical")
    assert 'href="/devices/12%0A34/"' in listed.content.decode()
    assert browser.get("/devices/12%0A34/").status_code == 200
