"""Password reset by email (accounts.signin_views, Django's views): the link comes
through the real SMTP server, built from SITE_URL whatever Host the form was sent to,
works once, expires after PASSWORD_RESET_MINUTES, and is useless for another user."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from tests.personas import PASSWORD

NEW_PASSWORD = "a long new passphrase 42"
LINK = re.compile(r"https://backup\.example\.com(/accounts/reset/[^/\s]+/[^/\s]+/)")


def ask_reset(client, email: str):
    response = client.post("/accounts/password-reset/", {"email": email}, HTTP_HOST="localhost")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    return response


def reset_path(inbox, user: User) -> str:
    [received] = inbox.to(user.email)
    assert received.subject == "Reset your Backup Report password"
    [path] = LINK.findall(received.text)  # SITE_URL's host, not the request's
    assert f"https://backup.example.com{path}" in received.html
    return path


def choose(client, path: str, password: str = NEW_PASSWORD):
    opened = client.get(path, follow=True)
    if b"This link does not work" in opened.content:
        return opened
    form_path = opened.redirect_chain[-1][0]
    return client.post(form_path, {"new_password1": password, "new_password2": password})


def test_the_login_page_links_to_the_reset(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password-reset/">Forgot your password?</a>' in html


def test_a_reset_link_works_once(client, personas, smtp_server):
    dave = personas["dave"]
    ask_reset(client, dave.email.upper())  # the address in any case
    path = reset_path(smtp_server, dave)
    done = choose(client, path)
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert client.login(username="dave", password=NEW_PASSWORD)
    assert not client.login(username="dave", password=PASSWORD)
    client.logout()
    again = choose(client, path, "another passphrase 43")
    assert b"This link does not work" in again.content
    assert client.login(username="dave", password=NEW_PASSWORD)


@pytest.mark.parametrize(("minutes", "works"), [(59, True), (61, False)])
def test_a_reset_link_expires(client, personas, smtp_server, settings, minutes, works):
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60
    ask_reset(client, personas["dave"].email)
    path = reset_path(smtp_server, personas["dave"])
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes)):
        response = choose(client, path)
    assert (response.status_code == 302) is works
    assert User.objects.get(username="dave").check_password(NEW_PASSWORD) is works


def test_a_reset_link_is_useless_for_another_user(client, personas, smtp_server):
    ask_reset(client, personas["dave"].email)
    _, _, _, _, token, _ = reset_path(smtp_server, personas["dave"]).split("/")
    alice_uid = urlsafe_base64_encode(force_bytes(personas["alice"].pk))
    response = choose(client, f"/accounts/reset/{alice_uid}/{token}/")
    assert b"This link does not work" in response.content
    assert User.objects.get(username="alice").check_password(PASSWORD)


@pytest.mark.parametrize("ended", ["by the vendor", "here"])
def test_a_reset_link_does_not_work_once_its_user_is_deactivated(
    client, personas, smtp_server, ended
):
    """A link sent before the deactivation set a password all the same, ready for a
    reactivation (found by an audit)."""
    dave = personas["dave"]
    ask_reset(client, dave.email)
    path = reset_path(smtp_server, dave)
    if ended == "here":
        User.objects.filter(pk=dave.pk).update(is_active=False)
    else:
        User.objects.filter(pk=dave.pk).update(user_status="Deactivated")
    response = choose(client, path)
    assert b"This link does not work" in response.content
    assert User.objects.get(pk=dave.pk).check_password(PASSWORD)


def test_no_mail_for_an_unknown_address_or_a_mirrored_user_without_password(
    client, personas, smtp_server
):
    erin = personas["erin"]
    erin.set_unusable_password()
    erin.save()
    ask_reset(client, "nobody@example.com")
    ask_reset(client, erin.email)  # invited by an administrator instead
    assert smtp_server.received == []


def test_with_local_sign_in_off_only_a_superuser_gets_a_link(
    client, personas, smtp_server, settings
):
    settings.LOCAL_SIGNIN = False
    ask_reset(client, personas["dave"].email)
    ask_reset(client, personas["super"].email)
    assert smtp_server.addresses() == [personas["super"].email]
