"""Invitations (accounts.invitations): a system administrator selects people the mirror
made (no password) in the admin's filtered user list, or names them to `invite_users`;
each gets, through the real SMTP server, a set-password link that works once, expires
after INVITATION_DAYS, and is useless for anyone else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.factories import UserFactory
from tests.refresh_support import run_worker

NEW_PASSWORD = "a long new passphrase 42"
LINK = re.compile(r"https://backup\.example\.com(/accounts/invitation/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def mirrored(orgs):
    """People the import made: no usable password."""
    users = [
        UserFactory(username=f"mirrored{n}", org=orgs["accounting"], password=None)
        for n in range(3)
    ]
    for user in users:
        user.set_unusable_password()
        user.save()
    return users


def invitation_path(inbox, user: User) -> str:
    [received] = inbox.to(user.email)
    assert received.subject == "Your invitation to Backup Report"
    assert user.username in received.text
    [path] = LINK.findall(received.text)
    assert f"https://backup.example.com{path}" in received.html
    return path


def accept(client, path: str, password: str = NEW_PASSWORD):
    """Open the link (Django moves the token into the session) and choose a password."""
    opened = client.get(path, follow=True)
    assert opened.status_code == 200
    if b"does not work" in opened.content:
        return opened
    form_path = opened.redirect_chain[-1][0]
    return client.post(form_path, {"new_password1": password, "new_password2": password})


def admin_action(client, action: str, users, **filters):
    return client.post(
        "/admin/accounts/user/" + ("?" + "&".join(f"{k}={v}" for k, v in filters.items())),
        {"action": action, "_selected_action": [u.pk for u in users]},
        follow=True,
    )


def test_the_admin_invites_the_selected_and_the_link_sets_the_password_once(
    client, personas, mirrored, smtp_server
):
    client.force_login(personas["sysadmin"])
    response = admin_action(client, "invite", mirrored, org__id__exact=mirrored[0].org_id)
    assert "Invited 3 user(s) by email." in response.content.decode()
    assert smtp_server.addresses() == sorted(u.email for u in mirrored)

    client.logout()
    path = invitation_path(smtp_server, mirrored[0])
    done = accept(client, path)
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert client.login(username="mirrored0", password=NEW_PASSWORD)
    client.logout()

    again = accept(client, path, "another passphrase 43")
    assert b"This invitation does not work" in again.content
    assert client.login(username="mirrored0", password=NEW_PASSWORD)


def test_an_invitation_expires_after_invitation_days(client, mirrored, smtp_server, settings):
    settings.INVITATION_SECONDS = 7 * 24 * 3600
    call_command("invite_users", "mirrored1")
    path = invitation_path(smtp_server, mirrored[1])
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, hours=1)):
        expired = accept(client, path)
        assert b"This invitation does not work" in expired.content
    with time_machine.travel(timezone.now() + dt.timedelta(days=6, hours=23)):
        assert accept(client, path).status_code == 302
    assert User.objects.get(username="mirrored1").check_password(NEW_PASSWORD)


def test_an_invitation_is_useless_for_another_user(client, mirrored, smtp_server):
    call_command("invite_users", "mirrored0")
    path = invitation_path(smtp_server, mirrored[0])
    _, _, _, uid, token, _ = path.split("/")
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    other_uid = urlsafe_base64_encode(force_bytes(mirrored[1].pk))
    other = accept(client, f"/accounts/invitation/{other_uid}/{token}/")
    assert b"This invitation does not work" in other.content
    assert not User.objects.get(pk=mirrored[1].pk).has_usable_password()
    # Nor is it a password reset link.
    reset = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)
    assert b"This link does not work" in reset.content


def test_an_invitation_does_not_work_once_its_user_is_deactivated(client, mirrored, smtp_server):
    """It set a password all the same (found by an audit)."""
    call_command("invite_users", "mirrored2")
    path = invitation_path(smtp_server, mirrored[2])
    User.objects.filter(pk=mirrored[2].pk).update(user_status="Deactivated")
    refused = accept(client, path)
    assert b"This invitation does not work" in refused.content
    assert not User.objects.get(pk=mirrored[2].pk).has_usable_password()


def test_the_command_invites_those_without_a_password_in_an_org_subtree(
    personas, mirrored, smtp_server, capsys
):
    no_email = mirrored[2]
    no_email.email = ""
    no_email.save()
    call_command("invite_users", "--without-password", "--org", "org-emea")
    assert smtp_server.addresses() == sorted(u.email for u in mirrored[:2])
    out = capsys.readouterr().out
    assert "Invited 2 user(s) by email. Skipped 1: mirrored2: no email address." in out


def test_the_command_says_what_is_wrong(mirrored):
    with pytest.raises(CommandError, match="Choose whom to invite"):
        call_command("invite_users")
    with pytest.raises(CommandError, match="No user who may sign in with the username.*nobody"):
        call_command("invite_users", "nobody")
    with pytest.raises(CommandError, match="No org with the orgUid 'org-nowhere'"):
        call_command("invite_users", "--org", "org-nowhere")


def test_a_refused_address_is_skipped_and_said(client, personas, mirrored, smtp_server):
    smtp_server.refuse.add(mirrored[0].email)
    client.force_login(personas["sysadmin"])
    html = admin_action(client, "invite", mirrored).content.decode()
    assert "Invited 2 user(s) by email." in html
    assert f"mirrored0: the mail server refused {mirrored[0].email}" in html


@pytest.mark.parametrize("status", [User.Status.DEACTIVATED, User.Status.BLOCKED])
def test_nobody_the_vendor_ended_is_invited_or_sent_a_reset_link(
    client, personas, mirrored, smtp_server, status
):
    """The checks looked at is_active only: someone the vendor deactivated or blocked
    was invited, and sent a working reset link (2026-12-06); they cannot sign in."""
    ended = mirrored[0]
    User.objects.filter(pk=ended.pk).update(user_status=status)
    client.force_login(personas["sysadmin"])
    html = admin_action(client, "invite", mirrored).content.decode()
    assert "Invited 2 user(s) by email." in html
    assert f"mirrored0: {status.lower()} at the vendor" in html
    with pytest.raises(CommandError, match="No user who may sign in.*mirrored0"):
        call_command("invite_users", "mirrored0")
    smtp_server.received.clear()
    ended.refresh_from_db()
    ended.set_password("an old password 42")
    ended.save()
    client.logout()
    assert client.post(reverse("password_reset"), {"email": ended.email}).status_code == 302
    run_worker()  # the page queues the reset (accounts.password_reset)
    assert smtp_server.to(ended.email) == []


def test_a_system_administrator_cannot_invite_a_superuser(client, personas, smtp_server):
    client.force_login(personas["sysadmin"])
    response = admin_action(client, "invite", [personas["super"], personas["dave"]])
    assert response.status_code == 403
    assert smtp_server.received == []


def test_with_local_sign_in_off_only_superusers_are_invited(
    client, personas, mirrored, smtp_server, settings
):
    settings.LOCAL_SIGNIN = False
    call_command("invite_users", "mirrored0", "super")
    assert smtp_server.addresses() == [personas["super"].email]


def test_a_name_with_an_apostrophe_reads_as_typed_in_the_plain_text(orgs, smtp_server):
    """The plain text is no HTML: "O'Brien" read "O&#x27;Brien" there (found by an audit
    of the messages' encoding)."""
    user = UserFactory(
        username="sean.o'brien@example.com",
        first_name="Seán",
        last_name="O'Brien & Co",
        email="sean@example.com",
        org=orgs["accounting"],
        password=None,
    )
    call_command("invite_users", user.username)
    [received] = smtp_server.to(user.email)
    assert "Hello Seán O'Brien & Co," in received.text
    assert "Your username is sean.o'brien@example.com." in received.text
    assert "&#x27;" not in received.text and "&amp;" not in received.text
    assert "O&#x27;Brien &amp; Co" in received.html  # the HTML part escapes it, as it must
