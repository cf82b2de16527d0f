"""Password reset by email (accounts.signin_views, Django's views, and the worker's job
in accounts.password_reset): the page queues the same job for every address and looks
nothing up; the link comes through the real SMTP server once the worker runs the job,
built from SITE_URL whatever Host the form was sent to, works once, expires after
PASSWORD_RESET_MINUTES, and is useless for another user."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.audit.models import Event
from accounts.models import User
from accounts.password_reset import (
    RESETS_AN_HOUR_PER_CLIENT,
    RESETS_AN_HOUR_PER_EMAIL,
    send_reset_link,
)
from reports.integrations.jobs import deliver_webhooks
from reports.refresh.jobs import sync_from_vendor
from tests.factories import UserFactory
from tests.personas import PASSWORD
from tests.port_support import free_port
from tests.refresh_support import queued_jobs, run_worker

NEW_PASSWORD = "a long new passphrase 42"
LINK = re.compile(r"https://backup\.example\.com(/accounts/reset/[^/\s]+/[^/\s]+/)")


def ask_reset(client, email: str, **headers):
    """The form sent, and the job it queued run by the worker, as `make run`'s would."""
    asked(client, email, **headers)
    run_worker()


def asked(client, email: str, **headers):
    """The form sent; the worker has not run its job yet."""
    headers.setdefault("HTTP_HOST", "localhost")
    response = client.post("/accounts/password-reset/", {"email": email}, **headers)
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


UNKNOWN = "nobody@example.com"
JOB = send_reset_link.module_path


def requested() -> list[str]:
    return [e.target for e in Event.objects.filter(kind="password_reset.requested")]


@pytest.mark.parametrize("known", [True, False])
def test_the_page_queues_one_job_for_any_address_and_sends_nothing_itself(
    client, personas, smtp_server, known
):
    """The page sent the mail and recorded the event while it answered, for a known
    address only: it took longer then, which told which addresses exist (found by an
    audit). Now it queues the same job for every address, and the worker does the rest."""
    email = personas["dave"].email if known else UNKNOWN
    asked(client, email)
    assert queued_jobs() == [JOB]
    assert smtp_server.received == [] and requested() == []
    run_worker()
    assert queued_jobs() == []
    assert smtp_server.addresses() == ([email] if known else [])
    assert requested() == (["dave"] if known else [])


def test_the_page_reads_nothing_of_the_address(client, personas):
    """The same queries for a known address as for an unknown one, none of the users:
    the lookup is the worker's."""
    asked(client, UNKNOWN)  # the session's and the job table's first reads done
    statements = {}
    for email in [personas["dave"].email, UNKNOWN]:
        with CaptureQueriesContext(connection) as queries:
            asked(client, email)
        # The statements without their values (the job's id and time, the address)
        statements[email] = [re.sub(r"'[^']*'", "?", query["sql"]) for query in queries]
    known, unknown = statements.values()
    assert known == unknown
    assert not any(User._meta.db_table in sql for sql in known), known
    assert [sql.split(" (")[0] for sql in known if not sql.startswith("SELECT")] == [
        f'INSERT INTO "{DBTaskResult._meta.db_table}"'
    ]


def test_the_job_says_the_same_whatever_the_address(client, personas, smtp_server):
    asked(client, personas["dave"].email)
    asked(client, UNKNOWN)
    run_worker()
    jobs = DBTaskResult.objects.all()
    assert [(job.status, job.return_value) for job in jobs] == [
        (TaskResultStatus.SUCCESSFUL, None),
        (TaskResultStatus.SUCCESSFUL, None),
    ]
    assert smtp_server.addresses() == [personas["dave"].email]


def test_a_mail_server_out_of_reach_fails_the_job_for_the_admin_to_see(
    client, personas, smtp_server, settings
):
    """Django's own reset logged the error and went on: nobody saw that no link went."""
    settings.EMAIL_PORT = free_port()  # nothing listens there
    ask_reset(client, personas["dave"].email)
    job = DBTaskResult.objects.get()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == "builtins.ConnectionRefusedError"
    assert requested() == ["dave"]  # asked all the same


def test_the_event_names_the_address_and_user_agent_that_asked(
    client, personas, smtp_server, settings
):
    settings.PROXY_COUNT = 1
    ask_reset(
        client,
        personas["dave"].email,
        REMOTE_ADDR="10.0.0.2",  # the proxy
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",  # forged, then the client's
        HTTP_USER_AGENT="Firefox/140",
    )
    event = Event.objects.get(kind="password_reset.requested")
    assert (event.address, event.user_agent, event.actor) == ("203.0.113.7", "Firefox/140", "")
    assert event.details == {"email": personas["dave"].email}


def test_the_event_names_who_was_signed_in_when_they_asked(client, personas, smtp_server):
    client.force_login(personas["alice"])
    ask_reset(client, personas["dave"].email)
    event = Event.objects.get(kind="password_reset.requested")
    assert (event.actor, event.target) == ("alice", "dave")


def test_past_the_hourly_limits_nothing_more_is_queued_and_the_page_says_the_same(client, db):
    """An anonymous visitor filled the jobs table, hundreds of rows a second, the sync
    and the uploads queued behind them (a review of this stop)."""
    for n in range(RESETS_AN_HOUR_PER_CLIENT + 3):
        asked(client, f"someone{n}@nowhere.example")  # the same answer every time
    assert len(queued_jobs()) == RESETS_AN_HOUR_PER_CLIENT
    DBTaskResult.objects.all().delete()
    for typed in ["dave@example.com", " Dave@Example.com"] * RESETS_AN_HOUR_PER_EMAIL:
        asked(client, typed, REMOTE_ADDR="192.0.2.7")  # another client, one address
    assert len(queued_jobs()) == RESETS_AN_HOUR_PER_EMAIL


def test_a_reset_waits_behind_the_other_jobs(client, db):
    asked(client, UNKNOWN)
    (job,) = DBTaskResult.objects.all()
    assert job.priority < min(task.priority for task in (sync_from_vendor, deliver_webhooks))


def test_a_username_with_an_apostrophe_reads_as_typed_in_the_plain_text(
    client, personas, smtp_server
):
    """The plain text is no HTML: "o'brien" read "o&#x27;brien" there (found by an audit
    of the messages' encoding)."""
    user = UserFactory(username="sean.o'brien", email="sean@example.com", org=None)
    ask_reset(client, user.email)
    [received] = smtp_server.to(user.email)
    assert "the Backup Report account sean.o'brien." in received.text
    assert "&#x27;" not in received.text
