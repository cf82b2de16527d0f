"""Uploading the vendor's files in the browser (spec section 8), over HTTP: the preview's
counts and errors, confirmation, the jobs on the real worker loop, bad files, and who
may reach any of it (system administrators only)."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from accounts.models import Org, User
from reports.importing import csv_file as csv_module
from reports.models import Device
from reports.refresh import progress as progress_module
from reports.refresh.models import Run, Upload
from reports.row import VENDOR_CSV_HEADER
from tests.factories import UserFactory
from tests.import_support import database_snapshot
from tests.refresh_support import (
    csv_file,
    csv_text,
    export_as_root,
    queued_jobs,
    rows_of,
    run_worker,
)

State = Upload.State
APPLY_JOB = "reports.refresh.jobs.apply_upload"
CHECK_JOB = "reports.refresh.jobs.check_upload"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


@pytest.fixture
def export(fleet, tmp_path) -> tuple[list[str], list[dict]]:
    """The fleet as the vendor's export: columns and rows. Imported once first, as if it
    came from the vendor: the export keeps times to the millisecond, the factories do not."""
    first = tmp_path / "first.csv"
    first.write_text(export_as_root(), encoding="utf-8")
    call_command("import_backup_report", str(first), stdout=io.StringIO())
    return rows_of(export_as_root())


@pytest.fixture
def changed_export(export) -> str:
    """The export after a day at the vendor: DAVE-WIN renamed, ERIN-NEW gone, and a new
    device of dave's with one archive."""
    columns, rows = export
    rows = [row for row in rows if row["deviceName"] != "ERIN-NEW"]
    for row in rows:
        if row["deviceName"] == "DAVE-WIN":
            row["deviceName"] = "DAVE-WIN-RENAMED"
    dave = next(row for row in rows if row["deviceName"] == "DAVE-WIN-RENAMED")
    new = dict(dave, deviceUid="device-new-1", deviceName="DAVE-NEW", archiveGuid="archive-new-1")
    return csv_text(columns, rows + [new])


@pytest.fixture
def root(login):
    return login("root")


def upload(client, report: str | bytes, orgs: str | bytes | None = None, mirror=True, **names):
    data = {"report": csv_file(names.get("report_name", "DeviceBackupReport.csv"), report)}
    if orgs is not None:
        data["orgs"] = csv_file(names.get("orgs_name", "orgs.csv"), orgs)
    if mirror:
        data["mirror"] = "on"
    return client.post(reverse("upload-files"), data)


def confirm(client, upload_: Upload):
    """Import these changes, ticking the second box where the preview asks for it: one
    device of the eight here is more than a whole-fleet upload removes unasked (10%)."""
    removal = upload_.removal
    data = {"remove": removal.token} if removal and removal.needs_confirmation else {}
    return client.post(reverse("confirm-upload", args=[upload_.pk]), data)


def the_upload() -> Upload:
    (only,) = Upload.objects.all()
    return only


def device_counts(preview: dict) -> dict:
    return next(table for table in preview["tables"] if table["label"] == "devices")


def test_the_preview_counts_what_would_change_and_changes_nothing(root, changed_export):
    before, runs = database_snapshot(), Run.objects.count()

    response = upload(root, changed_export)

    assert response.status_code == 302
    upload_ = the_upload()
    assert response.url == reverse("upload", args=[upload_.pk])
    assert upload_.state == State.CHECKING
    assert queued_jobs() == [CHECK_JOB]
    run_worker()

    upload_.refresh_from_db()
    assert upload_.state == State.READY
    assert upload_.records == 8
    devices = device_counts(upload_.preview)
    assert devices == {
        "label": "devices",
        "created": 1,
        "updated": 1,
        "removed": 1,
        "unchanged": 6,
    }
    archives = next(t for t in upload_.preview["tables"] if t["label"] == "archives")
    assert (archives["created"], archives["updated"], archives["removed"]) == (1, 0, 0)
    page = root.get(reverse("upload", args=[upload_.pk])).content.decode()
    assert "Nothing has changed yet" in page
    assert 'data-count="removed">1<' in page
    assert database_snapshot() == before
    assert Run.objects.count() == runs  # a preview is no run


def test_confirming_imports_on_the_worker_and_logs_the_run(root, changed_export):
    upload(root, changed_export)
    run_worker()
    upload_ = the_upload()
    preview = upload_.preview

    response = confirm(root, upload_)

    assert response.status_code == 302
    upload_.refresh_from_db()
    assert upload_.state == State.APPLYING
    assert queued_jobs() == [APPLY_JOB]
    assert Device.objects.filter(name="DAVE-WIN").exists()  # not before the worker
    run_worker()

    upload_.refresh_from_db()
    assert upload_.state == State.APPLIED
    names = set(Device.objects.values_list("name", flat=True))
    assert {"DAVE-WIN-RENAMED", "DAVE-NEW"} <= names
    assert not names & {"DAVE-WIN", "ERIN-NEW"}
    run = upload_.run
    assert (run.kind, run.trigger, run.user.username) == (Run.Kind.IMPORT, "upload", "root")
    assert run.outcome == Run.Outcome.SUCCEEDED and run.finished_at is not None
    assert "DeviceBackupReport.csv" in run.source
    totals = preview["totals"]
    assert (run.created, run.updated, run.removed, run.unchanged) == (
        totals["created"],
        totals["updated"],
        totals["removed"],
        totals["unchanged"],
    )
    assert not upload_.folder.exists()  # the files are gone once imported
    page = root.get(reverse("upload", args=[upload_.pk])).content.decode()
    assert 'id="result"' in page and "Imported" in page


def test_the_run_is_started_by_the_administrator_who_confirmed_it(login, changed_export):
    """Any system administrator may confirm another's upload: the run log and the
    upload.applied event named the one who uploaded it, who may have left it on purpose,
    and not the one who started the import (found by an audit of section 8)."""
    from accounts.audit.models import Event
    from accounts.roles import SYSTEM_ADMINISTRATORS

    upload(login("root"), changed_export)
    run_worker()
    second = UserFactory(username="second-admin", user_uid=None, org=None)
    second.groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    confirm(login("second-admin"), the_upload())
    run_worker()

    upload_ = the_upload()
    assert upload_.state == State.APPLIED and upload_.user.username == "root"
    assert upload_.run.user == second
    assert Event.objects.get(kind="upload.confirmed").actor == "second-admin"
    assert Event.objects.get(kind="upload.applied").actor == "second-admin"


def test_the_same_export_again_changes_nothing(root, export):
    columns, rows = export
    upload(root, csv_text(columns, rows))
    run_worker()

    totals = the_upload().preview["totals"]

    assert (totals["created"], totals["updated"], totals["removed"]) == (0, 0, 0)
    assert totals["unchanged"] > 0


def test_without_mirror_nothing_is_removed(root, changed_export):
    upload(root, changed_export, mirror=False)
    run_worker()
    upload_ = the_upload()
    assert device_counts(upload_.preview)["removed"] is None
    root.post(reverse("confirm-upload", args=[upload_.pk]))
    run_worker()

    assert Device.objects.filter(name="ERIN-NEW").exists()


def test_the_org_tree_comes_along(root, export):
    columns, rows = export
    tree = [
        {
            "orgUid": org.org_uid,
            "orgName": org.name,
            "orgExtRef": org.ext_ref,
            # Sales moves from EMEA to Americas.
            "parentOrgUid": "org-americas" if org.org_uid == "org-sales" else org.parent_uid,
        }
        for org in Org.objects.annotate(parent_uid=F("parent__org_uid"))
    ]
    orgs = csv_text(["orgUid", "orgName", "orgExtRef", "parentOrgUid"], tree)
    upload(root, csv_text(columns, rows), orgs)
    run_worker()
    upload_ = the_upload()
    org_changes = next(t for t in upload_.preview["tables"] if t["label"] == "orgs")
    assert org_changes["updated"] == 1

    root.post(reverse("confirm-upload", args=[upload_.pk]))
    run_worker()

    assert Org.objects.get(org_uid="org-sales").parent.org_uid == "org-americas"
    assert the_upload().run.source == "upload of DeviceBackupReport.csv and orgs.csv"


def test_every_error_is_shown_with_line_and_column(root, export):
    columns, rows = export
    rows[1]["lastConnectedDate"] = "last Tuesday"
    rows[3]["selectedBytes"] = "a lot"
    rows[4]["deviceUid"] = ""
    before = database_snapshot()

    upload(root, csv_text(columns, rows), report_name="broken.csv")
    run_worker()

    upload_ = the_upload()
    assert upload_.state == State.INVALID
    assert [(e["line"], e["column"]) for e in upload_.errors] == [
        (3, "lastConnectedDate"),
        (5, "selectedBytes"),
        (6, "deviceUid"),
    ]
    assert upload_.error_count == 3
    page = root.get(reverse("upload", args=[upload_.pk])).content.decode()
    assert "3 errors: the files were refused, nothing was changed" in page
    assert "last Tuesday" in page and "broken.csv" in page
    assert 'id="confirm"' not in page
    assert database_snapshot() == before
    assert not upload_.folder.exists()
    # Refused is refused: confirming it queues nothing.
    root.post(reverse("confirm-upload", args=[upload_.pk]))
    assert queued_jobs() == []


def test_a_file_with_very_many_errors_lists_the_first_ones(root, export, monkeypatch):
    monkeypatch.setattr(csv_module, "MAX_ERRORS", 3)
    columns, rows = export
    for row in rows:
        row["selectedBytes"] = "many"

    upload(root, csv_text(columns, rows))
    run_worker()

    upload_ = the_upload()
    assert len(upload_.errors) == 3 and upload_.error_count == len(rows)
    page = root.get(reverse("upload", args=[upload_.pk])).content.decode()
    assert f"and {len(rows) - 3} more, not listed" in page


def test_errors_of_the_org_file_are_named_too(root, export):
    columns, rows = export
    orgs = "orgUid,orgName,orgExtRef,parentOrgUid\r\norg-x,X,,org-nowhere\r\n,Nameless,,\r\n"

    upload(root, csv_text(columns, rows), orgs, orgs_name="tree.csv")
    run_worker()

    errors = the_upload().errors
    assert [(e["file"], e["line"], e["column"]) for e in errors] == [
        ("tree.csv", 2, "parentOrgUid"),
        ("tree.csv", 3, "orgUid"),
    ]


def test_an_org_files_tree_is_checked_with_its_cells(root, export):
    """Unknown parents and cycles are named with the bad cells, where they came only
    once every cell was right (an upload and a fix later); a row below a refused row,
    or a cycle the refused row's own parent would end, is not blamed."""
    columns, rows = export
    orgs = (
        "orgUid,orgName,orgExtRef,parentOrgUid\r\n"
        "org-a,A,,org-c\r\n"  # line 2: a cycle a -> c -> b -> a
        "org-b,B,,org-a\r\n"
        "org-c,C,,org-b\r\n"
        "org-bad," + "N" * 1000 + ",,\r\n"  # line 5: a name too long
        "org-under-bad,U,,org-bad\r\n"  # its parent is in the file, refused: fine
        "org-lost,L,,org-nowhere\r\n"  # line 7: an unknown parent
    )

    upload(root, csv_text(columns, rows), orgs, orgs_name="tree.csv")
    run_worker()

    errors = the_upload().errors
    assert [(e["line"], e["column"]) for e in errors] == [
        (2, "parentOrgUid"),
        (5, "orgName"),
        (7, "parentOrgUid"),
    ]
    assert "cycle: org-a -> org-c -> org-b -> org-a" in errors[0]["message"]
    assert 'unknown parent org "org-nowhere"' in errors[2]["message"]
    assert the_upload().error_count == 3


def test_a_bad_report_and_a_bad_org_file_are_named_together(root, export):
    """Both files' errors at once: the org file's were named only once the report was
    right, an upload and a fix later (found by an audit, 2026-12-06)."""
    columns, rows = export
    rows[1]["selectedBytes"] = "a lot"
    orgs = "orgUid,orgName,orgExtRef,parentOrgUid\r\norg-x,X,,\r\n,Nameless,,\r\n"

    upload(root, csv_text(columns, rows), orgs, report_name="report.csv", orgs_name="tree.csv")
    run_worker()

    upload_ = the_upload()
    assert [(e["file"], e["line"], e["column"]) for e in upload_.errors] == [
        ("report.csv", 3, "selectedBytes"),
        ("tree.csv", 3, "orgUid"),
    ]
    assert upload_.error_count == 2


BAD_FILES = {
    "empty": (b"", "The submitted file is empty."),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 1: is not UTF-8 text"),
    # What to do, said for what people upload instead (found by an audit, 2026-12-06).
    "gzip": (gzip.compress(b"deviceUid\r\n" * 50), "it is a gzip archive: upload the CSV"),
    "utf-16": ("deviceUid,deviceName\r\n".encode("utf-16"), "it is UTF-16 text: save or"),
    "html": (
        b"<!doctype html><html><body>Sign in</body></html>\n",
        "is not the vendor's DeviceBackupReport CSV export",
    ),
    # A spreadsheet's "CSV" in much of Europe: said to be not the export at all (found
    # by an audit).
    "semicolons": (
        ("\ufeff" + ";".join(VENDOR_CSV_HEADER) + "\r\n" + ";" * 33 + "\r\n").encode(),
        "line 1: the columns are separated by semicolons (;), not commas",
    ),
    "org file": (
        b"orgUid,orgName,orgExtRef,parentOrgUid\r\norg-a,A,,\r\n",
        "line 1, column archiveGuid: required column is missing",
    ),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_file_that_is_not_the_export_is_refused_at_once(root, upload_dir, kind):
    data, message = BAD_FILES[kind]
    before = database_snapshot()

    response = upload(root, data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "The files were not accepted" in page
    assert message.replace("'", "&#x27;") in page
    assert not Upload.objects.exists()
    assert queued_jobs() == []
    assert not any(upload_dir.rglob("*.csv"))
    assert database_snapshot() == before


def test_a_wrong_org_file_is_refused_at_once(root, export, upload_dir):
    columns, rows = export

    response = upload(root, csv_text(columns, rows), csv_text(columns, rows))

    assert response.status_code == 400
    assert "column parentOrgUid: required column is missing" in response.content.decode()
    assert not Upload.objects.exists() and not any(upload_dir.rglob("*.csv"))


def test_the_report_file_is_required(root):
    response = root.post(reverse("upload-files"), {"mirror": "on"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Upload.objects.exists()


def test_confirming_twice_imports_once(root, changed_export):
    upload(root, changed_export)
    run_worker()
    upload_ = the_upload()
    runs = Run.objects.count()

    confirm(root, upload_)
    confirm(root, upload_)

    assert queued_jobs() == [APPLY_JOB]
    run_worker()
    assert Run.objects.count() == runs + 1


def test_a_discarded_upload_is_never_checked_or_imported(root, changed_export):
    before = database_snapshot()
    upload(root, changed_export)
    upload_ = the_upload()

    response = root.post(reverse("discard-upload", args=[upload_.pk]))
    run_worker()  # the check it had queued finds it discarded

    assert response.status_code == 302 and response.url == reverse("data")
    upload_.refresh_from_db()
    assert upload_.state == State.DISCARDED and upload_.preview is None
    assert not upload_.folder.exists()
    root.post(reverse("confirm-upload", args=[upload_.pk]))
    assert queued_jobs() == []
    assert database_snapshot() == before


def test_a_new_upload_discards_the_unconfirmed_one(root, changed_export):
    upload(root, changed_export)
    run_worker()
    first = the_upload()

    upload(root, changed_export)

    first.refresh_from_db()
    assert first.state == State.DISCARDED and not first.folder.exists()


def test_an_import_that_fails_on_confirmation_changes_nothing(root, changed_export):
    """The data may change between preview and confirmation: the worker checks again."""
    upload(root, changed_export)
    run_worker()
    upload_ = the_upload()
    # A local account (no vendor uid) takes the username the file gives dave.
    dave = User.objects.get(username="dave")
    dave.username = "dave-elsewhere"
    dave.save()
    UserFactory(username="dave", user_uid=None)
    before = database_snapshot()

    confirm(root, upload_)
    run_worker()

    upload_.refresh_from_db()
    assert upload_.state == State.FAILED
    assert upload_.errors[0]["column"] == "username"
    assert "already belongs to another user" in upload_.errors[0]["message"]
    run = upload_.run
    assert run.outcome == Run.Outcome.FAILED and "already belongs" in run.error
    assert database_snapshot() == before
    page = root.get(reverse("upload", args=[upload_.pk])).content.decode()
    assert "nothing was changed" in page


def test_the_status_says_where_the_job_is(root, changed_export):
    upload(root, changed_export)
    upload_ = the_upload()
    url = reverse("upload-status", args=[upload_.pk])

    waiting = root.get(url).json()
    run_worker()
    done = root.get(url).json()

    assert waiting["state"] == "checking" and not waiting["finished"]
    assert waiting["progress"]["label"] == "Waiting for the worker"
    assert waiting["progress"]["percent"] == 0
    assert done["state"] == "ready" and done["finished"]


def test_the_job_reports_each_stage_as_it_goes(root, changed_export, monkeypatch):
    seen: list[dict] = []
    write = progress_module.Progress._write

    def recording(self, state: dict) -> None:
        seen.append(state)
        write(self, state)

    monkeypatch.setattr(progress_module.Progress, "_write", recording)
    monkeypatch.setattr(progress_module, "EVERY_SECONDS", 0)
    upload(root, changed_export)
    run_worker()
    confirm(root, the_upload())
    seen.clear()

    run_worker()

    stages = [state["stage"] for state in seen]
    assert stages[:2] == ["count", "read"]
    order = ["count", "read", "wait", "compare", "write", "report rows"]
    assert [stage for stage in order if stage in stages] == order
    assert all(stages.index(a) < stages.index(b) for a, b in zip(order, order[1:], strict=False))
    percents = [state["percent"] for state in seen]
    assert percents == sorted(percents) and percents[0] >= 0 and percents[-1] <= 100
    reading = [state for state in seen if state["stage"] == "read"]
    assert reading[-1]["total"] == changed_export.count("\n")
    # Once done, the progress file is gone and the page shows the result instead.
    assert not any((progress_module.Path(the_upload().folder).parent / "progress").glob("*"))


# Who may reach it: system administrators, nobody else, from every side.

NOT_ALLOWED = ["alice", "carol", "dave", "sam", "erin"]


@pytest.fixture
def ready_upload(client, changed_export) -> Upload:
    client.force_login(User.objects.get(username="root"))
    upload(client, changed_export)
    run_worker()
    client.logout()
    return the_upload()


def every_url(upload_: Upload) -> list[tuple[str, str]]:
    pk = upload_.pk
    return [
        ("get", reverse("data")),
        ("post", reverse("upload-files")),
        ("get", reverse("upload", args=[pk])),
        ("get", reverse("upload-status", args=[pk])),
        ("post", reverse("confirm-upload", args=[pk])),
        ("post", reverse("discard-upload", args=[pk])),
    ]


@pytest.mark.parametrize("name", NOT_ALLOWED)
def test_nobody_but_a_system_administrator_reaches_any_of_it(login, ready_upload, name):
    client = login(name)
    before = database_snapshot()

    for method, url in every_url(ready_upload):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (name, method, url)
    # The file POSTed as a system administrator would: still nothing.
    assert upload(client, "whatever").status_code == 404
    # The nav has no link to it.
    assert 'href="/data/"' not in client.get("/").content.decode()

    ready_upload.refresh_from_db()
    assert ready_upload.state == State.READY
    assert queued_jobs() == []
    assert Upload.objects.count() == 1
    assert database_snapshot() == before


def test_a_signed_out_caller_is_sent_to_sign_in(client, ready_upload):
    for method, url in every_url(ready_upload):
        response = getattr(client, method)(url)
        if url.endswith("/status"):
            assert response.status_code == 401
            assert json.loads(response.content)["error"] == "sign in as a system administrator"
        else:
            assert response.status_code == 302, (method, url)
            assert response.url.startswith(reverse("login") + "?next=")
    ready_upload.refresh_from_db()
    assert ready_upload.state == State.READY and queued_jobs() == []


@pytest.mark.parametrize("name", ["root", "superuser"])
def test_system_administrators_reach_every_page(login, ready_upload, name):
    if name == "superuser":
        UserFactory(username="superuser", is_superuser=True, is_staff=True)
    client = login(name)

    home = client.get("/").content.decode()
    assert 'href="/data/"' in home
    assert client.get(reverse("data")).status_code == 200
    assert client.get(reverse("upload", args=[ready_upload.pk])).status_code == 200
    assert client.get(reverse("upload-status", args=[ready_upload.pk])).status_code == 200


def test_an_unknown_upload_is_not_found(root):
    missing = "00000000-0000-0000-0000-000000000000"
    assert root.get(f"/data/uploads/{missing}/").status_code == 404
    assert root.get(f"/data/uploads/{missing}/status").status_code == 404
    assert root.get("/data/uploads/not-a-uuid/").status_code == 404


def test_the_data_page_lists_uploads_and_runs(root, changed_export):
    upload(root, changed_export)
    run_worker()
    confirm(root, the_upload())
    run_worker()

    page = root.get(reverse("data")).content.decode()

    assert "DeviceBackupReport.csv" in page and "imported" in page
    assert "upload in the browser" in page and "succeeded" in page
