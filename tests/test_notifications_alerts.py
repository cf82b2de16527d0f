"""Owner alerts (spec section 10): off until a system administrator turns them on; then
a device's owner, and only they, is emailed once when it enters warning and once when
it enters critical; back to OK re-arms it; an owner can opt out."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reports.models import Archive, ReportRow
from reports.notifications.models import Message, Preference, SiteSwitch
from reports.notifications.sending import send_due
from tests.personas import ago


def alerts(inbox):
    return [r for r in inbox.received if "has not backed up recently" in r.subject]


@pytest.fixture
def switched_on(fleet):
    SiteSwitch.objects.update_or_create(pk=1, defaults={"owner_alerts": True})
    return fleet


def test_no_owner_alert_until_an_administrator_turns_them_on(smtp_server, fleet):
    assert SiteSwitch.current().owner_alerts is False
    send_due()
    assert alerts(smtp_server) == []
    assert not Message.objects.filter(kind="owner-alert").exists()


def test_each_owner_gets_one_alert_of_their_own_device(smtp_server, switched_on):
    users = switched_on["users"]
    send_due()
    received = {r.envelope_to[0]: r for r in alerts(smtp_server)}
    assert sorted(received) == sorted([users["dave"].email, users["sam"].email])
    dave = received[users["dave"].email]
    assert dave.subject == "Backup warning: DAVE-WIN has not backed up recently"
    for part in (dave.text, dave.html):
        assert "DAVE-WIN" in part
        assert "SAM-OLD" not in part and "sam" not in part.lower().split("unsubscribe")[0]
        for cause in ("vacation", "router or firewall", "service", "uninstalled"):
            assert cause in part
    last = Archive.objects.get(device=switched_on["warning"]).last_completed_backup_date
    # The one date format (reports.templatetags.backup_format.moment_text), in both parts.
    assert f"since {last:%Y-%m-%d %H:%M} UTC · 5 days ago." in dave.text
    assert f"since <strong>{last:%Y-%m-%d %H:%M} UTC · 5 days ago</strong>." in dave.html
    assert f"https://backup.example.com/devices/{switched_on['warning'].device_uid}/" in dave.text
    assert received[users["sam"].email].subject.startswith("Backup critical: SAM-OLD")
    assert dave.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_alert_is_sent_once_per_state(smtp_server, switched_on):
    dave = switched_on["users"]["dave"].email
    send_due()
    send_due()
    assert len([r for r in alerts(smtp_server) if dave in r.envelope_to]) == 1
    # Two days on, the laptop enters critical: one more alert, then none.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    with time_machine.travel(later, tick=False):
        send_due()
        send_due()
    subjects = [r.subject for r in alerts(smtp_server) if dave in r.envelope_to]
    assert subjects == [
        "Backup warning: DAVE-WIN has not backed up recently",
        "Backup critical: DAVE-WIN has not backed up recently",
    ]


def test_back_to_ok_rearms_the_device(smtp_server, switched_on):
    dave = switched_on["users"]["dave"].email
    send_due()
    archive = Archive.objects.get(device=switched_on["warning"])
    archive.last_completed_backup_date = ago(minutes=5)
    archive.save()
    send_due()  # OK now: nothing to say, the device is armed again
    assert len([r for r in alerts(smtp_server) if dave in r.envelope_to]) == 1
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=4)
    with time_machine.travel(later, tick=False):
        send_due()
    laptop = [r for r in alerts(smtp_server) if "DAVE-WIN" in r.subject]
    assert [r.envelope_to for r in laptop] == [[dave], [dave]]


def test_an_owner_who_opted_out_gets_none(smtp_server, switched_on):
    users = switched_on["users"]
    Preference.objects.create(user=users["dave"], owner_alerts=False)
    send_due()
    assert [r.envelope_to for r in alerts(smtp_server)] == [[users["sam"].email]]


def test_a_refused_alert_is_retried_next_run(smtp_server, switched_on):
    sam = switched_on["users"]["sam"].email
    smtp_server.refuse = {sam}
    send_due()
    assert [r.envelope_to for r in alerts(smtp_server)] == [[switched_on["users"]["dave"].email]]
    smtp_server.refuse = set()
    send_due()
    send_due()
    assert len([r for r in alerts(smtp_server) if sam in r.envelope_to]) == 1


def test_a_refused_alert_of_a_device_back_to_ok_is_not_left_to_be_retried(smtp_server, switched_on):
    """Back to OK before its retry, the device's failed alert is never sent (its episode
    is over); its row stayed "Failed (retried next run)" for good, and /metrics' unsent
    gauge with it (found by an audit)."""
    smtp_server.refuse = {switched_on["users"]["dave"].email}
    send_due()
    assert Message.objects.filter(kind="owner-alert", state=Message.State.FAILED).count() == 1
    smtp_server.refuse = set()
    archive = Archive.objects.get(device=switched_on["warning"])
    archive.last_completed_backup_date = ago(minutes=5)
    archive.save()
    send_due()
    assert not Message.objects.filter(kind="owner-alert", state=Message.State.FAILED).exists()
    assert not [r for r in alerts(smtp_server) if "DAVE-WIN" in r.subject]


def test_a_refused_alert_of_a_device_given_to_another_is_not_left_to_be_retried(
    smtp_server, switched_on
):
    """The device given to another person before the retry: the new owner is alerted,
    and the former owner's failed row stayed "Failed (retried next run)" for good, and
    /metrics' unsent gauge with it (found by an audit of section 10)."""
    users = switched_on["users"]
    smtp_server.refuse = {users["dave"].email}
    send_due()
    smtp_server.refuse = set()
    ReportRow.objects.filter(device_id=switched_on["warning"].pk).update(owner_id=users["sam"].pk)
    send_due()
    assert [r.envelope_to for r in alerts(smtp_server) if "DAVE-WIN" in r.subject] == [
        [users["sam"].email]
    ]
    assert not Message.objects.filter(kind="owner-alert", state=Message.State.FAILED).exists()
    send_due()
    assert len([r for r in alerts(smtp_server) if "DAVE-WIN" in r.subject]) == 1


def test_an_alert_that_failed_goes_once_its_owner_opts_back_in(smtp_server, switched_on):
    """Its owner opted out after it failed, and back in while the device still waits:
    the alert, never received, was removed from the send log as never to be retried,
    and the device counted as alerted, so it never went (found by a review)."""
    dave = switched_on["users"]["dave"]
    smtp_server.refuse = {dave.email}
    send_due()
    smtp_server.refuse = set()
    preference = Preference.objects.create(user=dave, owner_alerts=False)
    send_due()
    preference.owner_alerts = True
    preference.save()
    send_due()
    assert [r.subject for r in alerts(smtp_server) if dave.email in r.envelope_to] == [
        "Backup warning: DAVE-WIN has not backed up recently"
    ]
