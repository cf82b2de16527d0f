"""The notifications page (every signed-in user) and the signed one-click unsubscribe
link, over real HTTP (Django's test client)."""

from __future__ import annotations

import pytest
from django.test import Client

from reports.notifications.links import unsubscribe_token
from reports.notifications.models import Frequency, Message, Preference, SiteSwitch
from reports.notifications.sending import send_due


def test_it_needs_signing_in(client, fleet):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_desktop_user_chooses_owner_alerts_only(login):
    page = login("dave").get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="owner_alerts"' in html and 'name="digest"' not in html
    assert "site-switch" not in html
    assert 'href="/notifications/" aria-current="page"' in html  # the nav link


def test_a_manager_chooses_the_digest_frequency(login, fleet):
    client = login("alice")
    page = client.get("/notifications/").content.decode()
    assert 'name="digest" value="weekly" required id="id_digest_0" checked' in page
    response = client.post("/notifications/", {"digest": "daily", "owner_alerts": "on"})
    assert response.status_code == 302
    preference = Preference.objects.get(user=fleet["users"]["alice"])
    assert (preference.digest, preference.owner_alerts) == (Frequency.DAILY, True)
    client.post("/notifications/", {"digest": "off"})
    preference.refresh_from_db()
    assert (preference.digest, preference.owner_alerts) == (Frequency.OFF, False)


def test_a_bad_choice_is_named_and_nothing_is_saved(login, fleet):
    response = login("alice").post("/notifications/", {"digest": "hourly"})
    assert response.status_code == 200
    assert "Select a valid choice. hourly is not one of the available choices." in (
        response.content.decode()
    )
    assert not Preference.objects.exists()


def test_only_a_system_administrator_turns_owner_alerts_on(login):
    client = login("alice")
    client.post("/notifications/", {"digest": "weekly", "owner_alerts": "on"})
    assert SiteSwitch.current().owner_alerts is False
    client = login("root")
    assert "site-switch" in client.get("/notifications/").content.decode()
    client.post("/notifications/", {"digest": "weekly", "owner_alerts": "on"})
    assert SiteSwitch.current().owner_alerts is True


def test_the_one_click_post_unsubscribes_without_signing_in_or_csrf(smtp_server, fleet):
    send_due()
    (message,) = smtp_server.to(fleet["users"]["alice"].email)
    url = str(message.message["List-Unsubscribe"]).strip()[1:-1]
    path = url.removeprefix("https://backup.example.com")
    browser = Client(enforce_csrf_checks=True)
    confirm = browser.get(path)
    assert confirm.status_code == 200 and b"alice@example.com" in confirm.content
    assert not Preference.objects.exists()  # a GET (a link scanner) changes nothing
    done = browser.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"no longer receive the backup digest" in done.content
    assert Preference.objects.get(user=fleet["users"]["alice"]).digest == Frequency.OFF
    smtp_server.received.clear()
    send_due()
    assert smtp_server.to(fleet["users"]["alice"].email) == []


def test_an_owner_alert_link_stops_owner_alerts_only(client, fleet):
    dave = fleet["users"]["dave"]
    client.post(f"/notifications/unsubscribe/{unsubscribe_token(dave.pk, 'owner-alert')}/")
    preference = Preference.objects.get(user=dave)
    assert (preference.owner_alerts, preference.digest) == (False, Frequency.WEEKLY)


@pytest.mark.parametrize("token", ["nonsense", "eyJ1c2VyIjoxfQ:1xYX0t:forged"])
def test_a_bad_or_forged_link_is_refused_clearly(client, fleet, token):
    for response in (
        client.get(f"/notifications/unsubscribe/{token}/"),
        client.post(f"/notifications/unsubscribe/{token}/"),
    ):
        assert response.status_code == 400
        assert b"This unsubscribe link is not valid" in response.content
    assert not Preference.objects.exists()


def test_a_link_made_for_another_purpose_is_refused(client, fleet):
    from django.core import signing

    token = signing.dumps({"user": fleet["users"]["alice"].pk, "kind": "digest"})  # no salt
    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 400


def test_a_system_administrator_reads_the_send_log_and_its_errors_in_the_admin(
    login, smtp_server, fleet
):
    smtp_server.refuse = {fleet["users"]["carol"].email}
    send_due()
    client = login("root")
    listing = client.get("/admin/notifications/message/?state=failed")
    assert listing.status_code == 200 and b"carol@example.com" in listing.content
    failed = Message.objects.get(recipient=fleet["users"]["carol"])
    page = client.get(f"/admin/notifications/message/{failed.pk}/change/")
    assert page.status_code == 200 and b"Mailbox unavailable" in page.content
    assert client.get("/admin/notifications/siteswitch/").status_code == 200
