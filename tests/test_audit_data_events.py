"""Audit events of data and settings (spec section 13): an upload previewed, confirmed,
applied (or failed) and refused, Sync now and the sync it starts and how it ended,
invitations and password resets, notification settings and the site-wide switch; each
once, with its actor."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import audit
from accounts.audit.kinds import KINDS
from accounts.audit.models import Event
from accounts.invitations import send_invitations
from reports.refresh.models import Run
from tests.refresh_support import csv_text, export_as_root, rows_of, run_worker
from tests.test_refresh_sync_now import sync_now, vendor  # noqa: F401, F811  (fixtures)
from tests.test_refresh_upload import (  # noqa: F401, F811  (fixtures)
    changed_export,
    confirm,
    export,
    root,
    the_upload,
    upload,
    upload_dir,
)


def only(kind: str, **fields) -> Event:
    matched = list(Event.objects.filter(kind=kind, **fields))
    assert len(matched) == 1, [(e.kind, e.actor, e.target, e.details) for e in matched]
    return matched[0]


def test_an_upload_previewed_and_confirmed(root, changed_export):  # noqa: F811
    upload(root, changed_export)
    run_worker()
    previewed = only("upload.previewed")
    assert (previewed.actor, previewed.target) == ("root", "DeviceBackupReport.csv")
    assert previewed.details["rows"] == the_upload().records
    assert previewed.details["changes"]["created"] >= 1
    confirm(root, the_upload())
    confirm(root, the_upload())  # a second click queues nothing, records nothing
    confirmed = only("upload.confirmed")
    assert confirmed.actor == "root" and confirmed.address == "127.0.0.1"
    run_worker()
    applied = only("upload.applied")
    assert (applied.actor, applied.target) == ("root", "DeviceBackupReport.csv")
    assert applied.details["outcome"] == "succeeded"
    assert applied.details["rows"] == previewed.details["rows"]
    assert applied.details["created"] == previewed.details["changes"]["created"]


def test_an_upload_confirmed_whose_import_then_fails(root, changed_export):  # noqa: F811
    """The log said "confirmed" of an upload that imported nothing (found by an audit)."""
    upload(root, changed_export)
    run_worker()
    confirm(root, the_upload())
    the_upload().report_path.write_text("not,a,vendor,export\n1,2,3,4\n")  # changed since
    run_worker()
    applied = only("upload.applied")
    assert applied.details["outcome"] == "failed"
    assert "column" in applied.details["error"]
    assert "rows" not in applied.details


def test_an_upload_refused_by_the_worker(root, export):  # noqa: F811
    columns, rows = export
    rows[1]["lastConnectedDate"] = "last Tuesday"
    upload(root, csv_text(columns, rows), report_name="broken.csv")
    run_worker()
    refused = only("upload.refused")
    assert (refused.actor, refused.target) == ("root", "broken.csv")
    assert "lastConnectedDate" in refused.details["error"]
    assert not Event.objects.filter(kind="upload.previewed").exists()


def test_an_upload_refused_by_the_form(root, export):  # noqa: F811
    assert upload(root, "not,a,vendor,export\n1,2,3,4\n").status_code == 400
    refused = only("upload.refused")
    assert refused.actor == "root" and refused.details["errors"]


def test_sync_now_and_the_sync_it_started(root, vendor):  # noqa: F811
    sync_now(root)
    asked = only("sync.now")
    assert asked.actor == "root" and asked.target == vendor.url
    run_worker()
    started = only("sync.started")
    assert started.actor == "root" and started.details["trigger"] == "web"
    finished = only("sync.finished")
    assert finished.actor == "root" and finished.details["outcome"] == "succeeded"
    assert finished.details["rows"] >= 1


def test_a_sync_by_the_command_names_who_ran_it(db, vendor, monkeypatch):  # noqa: F811
    """As an import by the command line does: it read "(command)" (an audit)."""
    monkeypatch.setenv("LOGNAME", "ops-olga")
    call_command("sync_vendor", stdout=io.StringIO())
    started, finished = only("sync.started"), only("sync.finished")
    assert (started.actor, started.details["trigger"]) == ("ops-olga", "command")
    assert (finished.actor, finished.details["outcome"]) == ("ops-olga", "succeeded")
    assert started.details["via"] == "the sync_vendor command"


def test_invitations_sent_and_accepted(client, personas, settings):  # noqa: F811
    erin = personas["erin"]
    erin.set_unusable_password()
    erin.save()
    sent = send_invitations([erin])
    assert sent.invited == ["erin"]
    invited = only("invitation.sent")
    assert invited.target == "erin" and invited.details == {"email": erin.email}
    link = next(line for line in mail.outbox[0].body.split() if "/invitation/" in line)
    path = link[link.index("/accounts/") :]
    form = client.get(path, follow=True)
    new = "a long new password 42"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    accepted = only("invitation.accepted")
    assert (accepted.actor, accepted.target) == ("erin", "erin")


def test_invitations_sent_by_the_command_say_so(personas, monkeypatch):  # noqa: F811
    erin = personas["erin"]
    erin.set_unusable_password()
    erin.save()
    monkeypatch.setenv("LOGNAME", "ops-olga")
    call_command("invite_users", "erin", stdout=io.StringIO())
    invited = only("invitation.sent")
    assert invited.target == "erin" and invited.actor == "ops-olga"
    assert invited.details == {"email": erin.email, "via": "the invite_users command"}


def test_a_password_reset_requested_and_completed(client, personas):  # noqa: F811
    dave = personas["dave"]
    client.post(reverse("password_reset"), {"email": dave.email})
    run_worker()  # the page queues the reset (accounts.password_reset)
    assert only("password_reset.requested").target == "dave"
    link = next(line for line in mail.outbox[0].body.split() if "/reset/" in line)
    path = link[link.index("/accounts/") :]
    form = client.get(path, follow=True)
    new = "another long password 7"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert only("password_reset.completed").actor == "dave"


@pytest.mark.django_db
def test_notification_settings_and_the_site_switch(client, personas):  # noqa: F811
    client.force_login(personas["sysadmin"])
    client.post(reverse("notifications"), {"digest": "daily", "site_owner_alerts": "on"})
    preferences = only("notifications.preferences")
    assert preferences.actor == "sysadmin" and preferences.details["digest"] == "daily"
    switch = only("notifications.switch")
    assert switch.actor == "sysadmin" and switch.details == {"on": True}
    client.post(reverse("notifications"), {"digest": "daily", "site_owner_alerts": "on"})
    assert Event.objects.filter(kind__startswith="notifications.").count() == 2  # unchanged


# The import commands, beside the upload and the sync


def import_command(*arguments: str) -> None:
    call_command(*arguments, stdout=io.StringIO())


def test_an_import_by_the_command_line_is_on_the_log(fleet, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGNAME", "alice")  # getpass's first answer: who ran it
    path = tmp_path / "export.csv"
    path.write_text(export_as_root(), encoding="utf-8")
    import_command("import_backup_report", str(path), "--mirror")
    started, finished = only("import.started"), only("import.finished")
    assert started.pk < finished.pk
    for event in (started, finished):
        assert (event.actor, event.actor_id, event.target) == ("alice", None, str(path))
        assert event.details["via"] == "command line"
        assert event.details["command"] == "import_backup_report"
        assert event.details["mirror"] is True and event.details["orgs"] is False
    run = Run.objects.get(kind=Run.Kind.IMPORT)
    assert finished.details["outcome"] == "succeeded"
    assert finished.details["rows"] == len(rows_of(export_as_root())[1])
    assert {name: finished.details[name] for name in ("created", "updated", "removed")} == {
        "created": run.created,
        "updated": run.updated,
        "removed": run.removed,
    }


def test_whose_access_an_import_ends_or_gives_back_is_named(fleet, tmp_path):
    """The import's event counted a deactivated person among the users updated: "when
    did dave lose access, and why" had no answer (found by an audit). Named, as the
    people a departed username's new holder pushed out are; someone the file brings
    already deactivated never had access and is not."""
    original = export_as_root()
    columns, rows = rows_of(original)
    for row in rows:
        if row["username"] == "dave":
            row["userStatus"] = "Deactivated"
    stranger = dict(rows[0], userUid="u-never-here", username="zoe", userStatus="Blocked")
    stranger.update(deviceUid="d-zoe", archiveGuid="a-zoe", deviceName="ZOE-PC")
    path = tmp_path / "export.csv"
    path.write_text(csv_text(columns, [*rows, stranger]), encoding="utf-8")
    import_command("import_backup_report", str(path), "--mirror")
    ended = only("import.finished").details
    assert (ended["access_ended"], ended["access_ended_count"]) == (["dave"], 1)
    assert "access_restored" not in ended
    path.write_text(original, encoding="utf-8")  # dave back; zoe gone, never in
    import_command("import_backup_report", str(path), "--mirror", "--allow-mass-removal")
    back = Event.objects.filter(kind="import.finished").latest("pk").details
    assert back["access_restored"] == ["dave"] and "access_ended" not in back


def test_an_import_that_fails_says_why(fleet, tmp_path):
    path = tmp_path / "empty.csv"
    columns, _ = rows_of(export_as_root())
    path.write_text(csv_text(columns, []), encoding="utf-8")  # would remove every device
    with pytest.raises(CommandError, match="nothing was imported"):
        import_command("import_backup_report", str(path), "--mirror")
    finished = only("import.finished")
    assert finished.details["outcome"] == "failed"
    assert "lists no device" in finished.details["error"], finished.details["error"]
    assert only("import.started").target == str(path)


def test_a_dry_run_is_not_on_the_log(fleet, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(export_as_root(), encoding="utf-8")
    import_command("import_backup_report", str(path), "--dry-run")
    assert not Event.objects.filter(kind__startswith="import.").exists()


def test_the_org_tree_and_the_rebuild_by_the_command_line(db, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("orgUid,orgName,orgExtRef,parentOrgUid\norg-1,Acme,,\n", encoding="utf-8")
    import_command("import_orgs", str(path))
    assert only("import.finished", details__command="import_orgs").details["created"] == 1
    import_command("rebuild_report")
    rebuilt = only("report.rebuilt")
    assert rebuilt.details["outcome"] == "succeeded" and rebuilt.details["via"] == "command line"


def test_an_actor_is_named_where_the_process_cannot_tell_who_ran_it(monkeypatch):
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("pwd.getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))
    assert audit.os_user() == "command line"


def test_the_readme_lists_every_kind_of_event_in_order():
    """The README's table of kinds repeats accounts.audit.kinds (the one list)."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Audit log\n")[1].split("\n## ")[0]
    table = re.findall(r"^\| `([a-z_]+\.?[a-z_.]*)` \| ", section, re.M)
    assert table == list(KINDS)
