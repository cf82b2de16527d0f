"""The notifications page (every signed-in user) and the signed one-click unsubscribe
link, over real HTTP (Django's test client)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from reports.notifications.links import unsubscribe_token
from reports.notifications.models import Frequency, Message, Preference, SiteSwitch
from reports.notifications.sending import send_due
from tests.factories import UserFactory


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
    client.post("/notifications/", {"digest": "weekly", "site_owner_alerts": "on"})
    assert SiteSwitch.current().owner_alerts is False
    client = login("root")
    assert "site-switch" in client.get("/notifications/").content.decode()
    client.post("/notifications/", {"digest": "weekly", "site_owner_alerts": "on"})
    assert SiteSwitch.current().owner_alerts is True


# Each switch on the page changes only itself (issue 23: both were named owner_alerts,
# so ticking the administrator's own box turned owner alerts on for the whole site).


def _switches(user) -> tuple[bool, bool]:
    """(the user's own owner alerts, the site-wide switch)."""
    from reports.notifications.preferences import preference_of

    return preference_of(user).owner_alerts, SiteSwitch.current().owner_alerts


def test_each_checkbox_has_its_own_name(login):
    html = login("root").get("/notifications/").content.decode()
    checkboxes = re.findall(r'<input type="checkbox"[^>]* name="([^"]+)"', html)
    assert sorted(checkboxes) == ["owner_alerts", "site_owner_alerts"]


@pytest.fixture
def administrator(login, fleet):
    """Signs in as a system administrator (root) or a superuser (in no group)."""

    def sign_in(name: str):
        if name == "super":
            fleet["users"]["super"] = UserFactory(username="super", is_superuser=True)
        return fleet["users"][name], login(name)

    return sign_in


@pytest.mark.parametrize("name", ["root", "super"])
def test_an_administrators_own_alerts_change_only_their_own(administrator, name):
    user, client = administrator(name)
    client.post("/notifications/", {"digest": "weekly"})  # both boxes off
    assert _switches(user) == (False, False)
    client.post("/notifications/", {"digest": "weekly", "owner_alerts": "on"})
    assert _switches(user) == (True, False)


@pytest.mark.parametrize("name", ["root", "super"])
def test_the_site_switch_changes_only_the_site(administrator, name):
    user, client = administrator(name)
    client.post("/notifications/", {"digest": "weekly", "site_owner_alerts": "on"})
    assert _switches(user) == (False, True)
    client.post("/notifications/", {"digest": "weekly", "owner_alerts": "on"})
    assert _switches(user) == (True, False)


@pytest.mark.parametrize("name", ["alice", "dave", "sam"])
def test_other_roles_change_their_own_alerts_and_never_the_site(login, fleet, name):
    user = fleet["users"][name]
    SiteSwitch.objects.update_or_create(pk=1, defaults={"owner_alerts": True})
    client = login(name)
    # Without the site field (what their page sends): the site switch stays as it is.
    client.post("/notifications/", {"digest": "weekly"})
    assert _switches(user) == (False, True)
    client.post("/notifications/", {"digest": "weekly", "owner_alerts": "on"})
    assert _switches(user) == (True, True)
    SiteSwitch.objects.update(owner_alerts=False)
    # With it, forged: ignored; their own choice is saved as sent.
    client.post("/notifications/", {"digest": "weekly", "site_owner_alerts": "on"})
    assert _switches(user) == (False, False)


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


def test_the_link_s_pages_which_name_the_recipient_are_kept_by_no_cache(client, fleet):
    """Opened by no signed-in user, they said nothing of caching, as no other page of a
    person's data does (backupreport.private_answers; found by an audit of the caches):
    the confirmation names the recipient's address, the answer who subscribed them."""
    dave = fleet["users"]["dave"]
    path = f"/notifications/unsubscribe/{unsubscribe_token(dave.pk, 'digest')}/"
    for answer in (client.get(path), client.post(path)):
        assert answer.status_code == 200
        words = {word.strip() for word in answer.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= words, answer.get("Cache-Control")


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
