"""A whole-fleet import cannot empty the fleet by mistake (issue 23): a file of no device
is refused, and one that would remove more than MIRROR_REMOVAL_LIMIT_PERCENT of the
devices, or any org, happens only when asked for, on every way in: an upload (a second
confirmation naming the numbers, enforced by the server), `import_backup_report
--mirror` and the sync (--allow-mass-removal), and Sync now (no switch). A file with
nothing to change changes nothing, not even "data as of", which is the export's own time.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Org, User
from accounts.roles import SYSTEM_ADMINISTRATORS
from reports.importing.csv_file import LONGEST_LINE
from reports.models import Archive, Device
from reports.refresh.models import Run, Upload
from reports.row import VENDOR_CSV_HEADER
from tests.factories import UserFactory
from tests.import_support import database_snapshot, run, write_csv
from tests.refresh_support import canned_vendor, csv_file, queued_jobs, run_worker
from tests.test_import_backup_report import vendor_row

FLEET = 20
State = Upload.State


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


def rows(numbers) -> list[dict]:
    return [vendor_row(n) for n in numbers]


@pytest.fixture
def twenty_devices(db, tmp_path) -> None:
    """Twenty devices from the vendor, the data as of three days ago."""
    first = write_csv(tmp_path / "fleet.csv", rows(range(1, FLEET + 1)))
    written = ago(days=3).timestamp()
    os.utime(first, (written, written))  # downloaded then
    run("import_backup_report", first)


def ago(**delta) -> dt.datetime:
    return (timezone.now() - dt.timedelta(**delta)).replace(microsecond=0)


def devices() -> int:
    return Device.objects.count()


def data_as_of() -> dt.datetime:
    return Run.objects.last_refresh().data_as_of


# import_backup_report --mirror


def test_a_file_of_only_the_header_is_refused(twenty_devices, tmp_path):
    before = database_snapshot()
    header_only = write_csv(tmp_path / "header.csv", [])

    with pytest.raises(CommandError) as refused:
        run("import_backup_report", header_only, "--mirror")

    message = str(refused.value)
    assert "header.csv: lists no device at all: as the whole fleet it would remove every " in (
        message
    )
    assert "device here (20)" in message and "--allow-mass-removal" in message
    assert database_snapshot() == before
    assert Run.objects.first().outcome == Run.Outcome.FAILED
    assert "lists no device at all" in Run.objects.first().error


def test_an_empty_fleet_is_imported_when_asked_for(twenty_devices, tmp_path):
    header_only = write_csv(tmp_path / "header.csv", [])

    run("import_backup_report", header_only, "--mirror", "--allow-mass-removal")

    assert devices() == 0
    assert User.objects.filter(user_uid="user-1").exists()  # people are kept


def test_removing_most_of_the_fleet_is_refused_and_the_log_says_why(twenty_devices, tmp_path):
    before = database_snapshot()
    critical_only = write_csv(tmp_path / "critical.csv", rows([1, 2]))

    with pytest.raises(CommandError) as refused:
        run("import_backup_report", critical_only, "--mirror")

    why = (
        "refused: it would remove 18 of 20 devices (90%). A whole-fleet import removes "
        "more than 10% of the devices or of the archives (MIRROR_REMOVAL_LIMIT_PERCENT), or "
        "any org, only "
        "when asked for: with --allow-mass-removal"
    )
    assert f"critical.csv: {why}" in str(refused.value)
    assert str(refused.value).endswith("(nothing was imported)")
    assert database_snapshot() == before
    failed = Run.objects.first()
    assert failed.outcome == Run.Outcome.FAILED and why in failed.error


def test_a_dry_run_says_it_would_be_refused(twenty_devices, tmp_path):
    critical_only = write_csv(tmp_path / "critical.csv", rows([1, 2]))

    output = run("import_backup_report", critical_only, "--mirror", "--dry-run")

    assert "It would remove 18 of 20 devices (90%): more than 10% of the devices" in output
    assert "which happens only with --allow-mass-removal" in output
    assert devices() == FLEET


def test_a_mass_removal_asked_for_is_applied(twenty_devices, tmp_path):
    critical_only = write_csv(tmp_path / "critical.csv", rows([1, 2]))

    output = run("import_backup_report", critical_only, "--mirror", "--allow-mass-removal")

    assert "devices: 0 created, 0 updated, 18 removed, 2 unchanged" in output
    assert devices() == 2


def test_up_to_the_limit_is_removed_unasked_and_one_more_is_not(twenty_devices, tmp_path):
    ten_percent = write_csv(tmp_path / "ten.csv", rows(range(1, FLEET - 1)))
    run("import_backup_report", ten_percent, "--mirror")
    assert devices() == FLEET - 2

    one_more = write_csv(tmp_path / "more.csv", rows(range(1, FLEET - 3)))  # 2 of 18: 11.1%
    with pytest.raises(CommandError, match=r"remove 2 of 18 devices \(11.1%\)"):
        run("import_backup_report", one_more, "--mirror")
    assert devices() == FLEET - 2


def test_the_limit_is_a_setting(twenty_devices, tmp_path, settings):
    settings.MIRROR_REMOVAL_LIMIT_PERCENT = 50
    half = write_csv(tmp_path / "half.csv", rows(range(1, FLEET // 2 + 1)))

    run("import_backup_report", half, "--mirror")

    assert devices() == FLEET // 2


def test_removing_an_org_is_refused(twenty_devices, tmp_path):
    tree = tmp_path / "orgs.csv"
    tree.write_text(
        "orgUid,orgName,orgExtRef,parentOrgUid\norg-hq,Headquarters,HQ,\norg-empty,E,,\n"
    )
    run("import_orgs", tree)
    tree.write_text("orgUid,orgName,orgExtRef,parentOrgUid\norg-hq,Headquarters,HQ,\n")
    same = write_csv(tmp_path / "same.csv", rows(range(1, FLEET + 1)))

    with pytest.raises(CommandError, match=r"remove 0 of 20 devices \(0%\) and 1 org\."):
        run("import_backup_report", same, "--orgs", str(tree), "--mirror")

    assert Org.objects.filter(org_uid="org-empty").exists()


def test_an_import_without_mirror_is_never_refused(twenty_devices, tmp_path):
    run("import_backup_report", write_csv(tmp_path / "header.csv", []))
    assert devices() == FLEET


# "Data as of": the export's time, and an import that changes nothing keeps it


def test_data_is_as_of_the_files_modification_time(twenty_devices, tmp_path):
    written = ago(hours=30)
    path = write_csv(tmp_path / "next.csv", rows(range(1, FLEET + 2)))
    os.utime(path, (written.timestamp(), written.timestamp()))

    run("import_backup_report", path)

    assert data_as_of() == written


@pytest.mark.parametrize("written", ["1970-01-01T00:00:01Z", "future"])
def test_a_modification_time_that_cannot_be_right_is_not_the_data_s(
    twenty_devices, tmp_path, written
):
    """A file dated 1970 made the data look 56 years old (found by an audit of the
    import): as --exported-at, such a time is not taken; the data is as of the import."""
    when = (
        timezone.now() + dt.timedelta(days=3)
        if written == "future"
        else dt.datetime.fromisoformat(written)
    )
    path = write_csv(tmp_path / "next.csv", rows(range(1, FLEET + 2)))
    os.utime(path, (when.timestamp(), when.timestamp()))
    before = timezone.now()
    output = run("import_backup_report", path)
    assert before - dt.timedelta(seconds=1) <= data_as_of() <= timezone.now()
    assert f"The file was last written {when:%Y-%m-%d %H:%M} UTC, which cannot be" in output
    assert "last written" in Run.objects.first().summary


def test_an_old_file_imported_again_does_not_move_data_as_of(twenty_devices, tmp_path):
    newer = ago(hours=1)
    run(
        "import_backup_report",
        write_csv(tmp_path / "newer.csv", rows(range(1, FLEET + 2))),
        "--exported-at",
        newer.isoformat(),
    )
    unchanged = write_csv(tmp_path / "again.csv", rows(range(1, FLEET + 2)))

    run("import_backup_report", unchanged, "--exported-at", ago(days=9).isoformat())

    assert Run.objects.first().outcome == Run.Outcome.SUCCEEDED
    assert data_as_of() == newer  # neither nine days old nor now


@pytest.mark.parametrize(
    ("when", "refused"),
    [
        (lambda: (timezone.now() + dt.timedelta(hours=2)).isoformat(), "in the future"),
        (lambda: "0001-01-01T00:00:00Z", "before 2000-01-01"),  # a year typed wrong
        (lambda: "1999-12-31T23:59:59Z", "before 2000-01-01"),
    ],
)
def test_an_export_time_that_cannot_be_right_is_refused(twenty_devices, tmp_path, when, refused):
    runs = Run.objects.count()
    with pytest.raises(CommandError, match=f"The export cannot have been taken {refused}"):
        run("import_backup_report", tmp_path / "any.csv", "--exported-at", when())
    assert Run.objects.count() == runs


# The sync and Sync now


@pytest.fixture
def vendor(settings, tmp_path, twenty_devices):
    """A vendor whose export lists two of the twenty devices here."""
    with canned_vendor(settings, tmp_path) as canned:
        yield canned


def sync_vendor(*args: str) -> str:
    out = io.StringIO()
    call_command("sync_vendor", *args, stdout=out)
    return out.getvalue()


def test_the_sync_is_refused_too_and_the_log_says_why(vendor):
    before = database_snapshot()

    with pytest.raises(CommandError) as refused:
        sync_vendor()

    assert "refused: it would remove 18 of 20 devices (90%)" in str(refused.value)
    assert str(refused.value).endswith("(nothing was changed)")
    assert database_snapshot() == before
    failed = Run.objects.first()
    assert (failed.kind, failed.outcome) == (Run.Kind.SYNC, Run.Outcome.FAILED)
    assert "refused: it would remove 18 of 20 devices (90%)" in failed.error


def test_the_sync_applies_a_mass_removal_asked_for_as_of_its_download(vendor):
    started = timezone.now()
    sync_vendor("--allow-mass-removal")

    assert devices() == 2
    synced = Run.objects.first()
    assert synced.outcome == Run.Outcome.SUCCEEDED
    assert started <= synced.exported_at <= synced.finished_at


def test_the_older_name_of_the_switch_still_works(vendor):
    sync_vendor("--allow-empty")
    assert devices() == 2


def test_sync_now_is_refused_with_the_reason_on_its_page(vendor, admin):
    response = admin.post(reverse("sync-now"))
    run_worker()

    page = admin.get(response.url).content.decode()
    assert "The sync failed; nothing was changed" in page
    assert "refused: it would remove 18 of 20 devices (90%)" in page
    assert devices() == FLEET


# Uploads


@pytest.fixture
def admin(client, db):
    user = UserFactory(username="data-admin", org=None)
    user.groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    client.force_login(user)
    return client


def upload(client, path, mirror=True, **fields):
    data = {"report": csv_file("DeviceBackupReport.csv", path.read_bytes()), **fields}
    if mirror:
        data["mirror"] = "on"
    return client.post(reverse("upload-files"), data)


def the_upload() -> Upload:
    (only,) = Upload.objects.all()
    return only


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_whole_fleet_upload_of_only_the_header_is_refused_at_once(
    twenty_devices, admin, tmp_path
):
    before = database_snapshot()

    response = upload(admin, write_csv(tmp_path / "header.csv", [], VENDOR_CSV_HEADER))

    assert response.status_code == 400
    page = text_of(response.content.decode())
    assert "The files were not accepted" in page
    assert "lists no device at all: as the whole fleet it would remove every device here (20)" in (
        page
    )
    assert not Upload.objects.exists() and queued_jobs() == []
    assert database_snapshot() == before


def test_an_upload_that_removes_most_of_the_fleet_needs_a_second_confirmation(
    twenty_devices, admin, tmp_path
):
    upload(admin, write_csv(tmp_path / "critical.csv", rows([1, 2]), VENDOR_CSV_HEADER))
    run_worker()
    upload_ = the_upload()
    assert upload_.state == State.READY
    page_url = reverse("upload", args=[upload_.pk])
    confirm_url = reverse("confirm-upload", args=[upload_.pk])

    page = admin.get(page_url).content.decode()
    assert 'id="mass-removal"' in page
    assert "This removes 18 of 20 devices" in text_of(page)
    assert 'name="remove" value="18/20/0/0/0"' in page and "required" in page
    assert "Remove 18 of 20 devices (90%)" in page
    before = database_snapshot()

    # The server asks for it, whatever the page does: without the box, or with other numbers.
    for data in ({}, {"remove": "on"}, {"remove": "1/20/0/0/0"}):
        refused = admin.post(confirm_url, data)
        assert refused.status_code == 400
        assert "Tick “Remove 18 of 20 devices (90%)” to import this" in refused.content.decode()
    upload_.refresh_from_db()
    assert upload_.state == State.READY and queued_jobs() == []
    assert database_snapshot() == before

    assert admin.post(confirm_url, {"remove": "18/20/0/0/0"}).status_code == 302
    run_worker()

    upload_.refresh_from_db()
    assert upload_.state == State.APPLIED and devices() == 2


def test_an_upload_within_the_limit_asks_once(twenty_devices, admin, tmp_path):
    upload(admin, write_csv(tmp_path / "most.csv", rows(range(1, FLEET)), VENDOR_CSV_HEADER))
    run_worker()
    upload_ = the_upload()

    page = admin.get(reverse("upload", args=[upload_.pk])).content.decode()
    admin.post(reverse("confirm-upload", args=[upload_.pk]))
    run_worker()

    assert 'id="mass-removal"' not in page and 'name="remove"' not in page
    assert the_upload().state == State.APPLIED and devices() == FLEET - 1


def test_the_import_removes_no_more_than_was_confirmed(twenty_devices, admin, tmp_path):
    """The data may change between preview and confirmation: the worker checks again."""
    upload(admin, write_csv(tmp_path / "critical.csv", rows([1, 2]), VENDOR_CSV_HEADER))
    run_worker()
    upload_ = the_upload()
    admin.post(reverse("confirm-upload", args=[upload_.pk]), {"remove": upload_.removal.token})
    run("import_backup_report", write_csv(tmp_path / "more.csv", rows([FLEET + 1])))
    before = database_snapshot()

    run_worker()

    upload_.refresh_from_db()
    assert upload_.state == State.FAILED
    assert (
        "it would now remove 19 of 21 devices (90.5%), more than the 18 of 20 devices"
        in (upload_.errors[0]["message"])
    )
    assert database_snapshot() == before


def test_a_file_with_nothing_to_change_changes_nothing(twenty_devices, admin, tmp_path):
    as_of, runs = data_as_of(), Run.objects.count()
    same = write_csv(tmp_path / "same.csv", rows(range(1, FLEET + 1)), VENDOR_CSV_HEADER)

    upload(admin, same)
    run_worker()

    upload_ = the_upload()
    assert upload_.state == State.UNCHANGED and upload_.finished
    page = text_of(admin.get(reverse("upload", args=[upload_.pk])).content.decode())
    assert "Nothing to change" in page and "the data here already equals this file" in page
    assert "Import these changes" not in page
    assert admin.post(reverse("confirm-upload", args=[upload_.pk])).status_code == 302
    assert queued_jobs() == []
    assert (Run.objects.count(), data_as_of()) == (runs, as_of)
    assert not upload_.folder.exists()


def test_an_upload_is_as_of_the_export_time_given(twenty_devices, admin, tmp_path):
    exported = ago(hours=5)
    path = write_csv(tmp_path / "next.csv", rows(range(1, FLEET + 2)), VENDOR_CSV_HEADER)

    upload(admin, path, exported_at=exported.strftime("%Y-%m-%dT%H:%M:%S"))
    run_worker()
    upload_ = the_upload()
    page = text_of(admin.get(reverse("upload", args=[upload_.pk])).content.decode())
    admin.post(reverse("confirm-upload", args=[upload_.pk]))
    run_worker()

    shown = page.replace("&#x27;", "'")
    assert f"the data is as of {exported:%Y-%m-%d %H:%M} UTC · " in shown  # and how long ago
    assert " ago (the export's time you gave)" in shown
    assert data_as_of() == exported
    overview = text_of(admin.get("/").content.decode())
    assert f"Data as of {exported:%Y-%m-%d %H:%M} UTC" in overview


def test_an_upload_without_an_export_time_is_as_of_the_upload(twenty_devices, admin, tmp_path):
    path = write_csv(tmp_path / "next.csv", rows(range(1, FLEET + 2)), VENDOR_CSV_HEADER)

    upload(admin, path)
    run_worker()
    admin.post(reverse("confirm-upload", args=[the_upload().pk]))
    run_worker()

    assert data_as_of() == the_upload().created_at < Run.objects.first().started_at


def test_an_export_time_in_the_future_is_not_accepted(twenty_devices, admin, tmp_path):
    later = timezone.now() + dt.timedelta(hours=3)
    path = write_csv(tmp_path / "next.csv", rows(range(1, FLEET + 2)), VENDOR_CSV_HEADER)

    response = upload(admin, path, exported_at=later.strftime("%Y-%m-%dT%H:%M:%S"))

    assert response.status_code == 400
    assert "The export cannot have been taken in the future." in response.content.decode()
    assert not Upload.objects.exists()


def test_an_upload_of_one_endless_line_is_refused_at_once(twenty_devices, admin, tmp_path):
    """Its header is checked in the web process: read up to LONGEST_LINE characters, not
    whole (a 2 GB JSON export would have been, 2026-12-06)."""
    path = tmp_path / "export.json"
    path.write_text('[{"deviceUid": "1"}' + ", {}" * (LONGEST_LINE // 4) + "]", encoding="utf-8")

    response = upload(admin, path)

    assert response.status_code == 400
    assert "line 1: the line is longer than 8,388,608 characters" in response.content.decode()
    assert not Upload.objects.exists()


def test_an_export_time_of_a_year_typed_wrong_is_not_accepted(twenty_devices, admin, tmp_path):
    path = write_csv(tmp_path / "next.csv", rows(range(1, FLEET + 2)), VENDOR_CSV_HEADER)

    response = upload(admin, path, exported_at="0001-01-01T00:00:00")

    assert response.status_code == 400
    assert "The export cannot have been taken before 2000-01-01." in response.content.decode()
    assert not Upload.objects.exists()


def without_archives(numbers) -> list[dict]:
    """The devices listed, every archive cell empty: a file of the whole fleet that
    would take away every archive, destination and server."""
    listed = rows(numbers)
    for row in listed:
        for name in row:
            if name.startswith(("archive", "destination", "server", "coldStorage")) or name in (
                "lastCompletedBackupDate",
                "selectedBytes",
                "todoBytes",
                "percentComplete",
            ):
                row[name] = ""
    return listed


def test_removing_most_archives_of_devices_kept_is_refused(twenty_devices, tmp_path):
    """Every device listed, no archive: it removed all 20 archives, their destinations
    and servers, unasked (found by an audit of the import). Refused like devices."""
    before = database_snapshot()
    bare = write_csv(tmp_path / "bare.csv", without_archives(range(1, FLEET + 1)))
    with pytest.raises(CommandError) as refused:
        run("import_backup_report", bare, "--mirror")
    assert (
        "refused: it would remove 0 of 20 devices (0%) and 20 of 20 archives of the devices "
        "it keeps (100%)"
    ) in str(refused.value)
    assert database_snapshot() == before
    run("import_backup_report", bare, "--mirror", "--allow-mass-removal")
    assert Archive.objects.count() == 0 and devices() == FLEET


def test_archives_removed_with_their_devices_are_counted_as_devices(twenty_devices, tmp_path):
    nineteen = write_csv(tmp_path / "nineteen.csv", rows(range(1, FLEET)))
    output = run("import_backup_report", nineteen, "--mirror")
    assert "archives: 0 created, 0 updated, 1 removed" in output and devices() == FLEET - 1
