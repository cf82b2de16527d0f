"""Mirror mode: `import_backup_report --mirror [--orgs ORGS.csv]` makes the environment
equal the files (spec section 8), in one transaction with the org tree."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.test import Client

from accounts.audit.models import Event
from accounts.models import Org, User
from reports.models import Archive, Destination, Device, ReportRow, Server
from tests.import_support import database_snapshot, run, write_csv
from tests.test_import_backup_report import vendor_row
from tests.test_read_model import assert_in_step

TREE_HEADER = "orgUid,orgName,orgExtRef,parentOrgUid\n"


@pytest.fixture
def files(tmp_path):
    def report(rows, name="report.csv") -> Path:
        return write_csv(tmp_path / name, rows)

    def tree(lines: str, name="orgs.csv") -> Path:
        path = tmp_path / name
        path.write_text(TREE_HEADER + lines, encoding="utf-8")
        return path

    report.tree = tree
    return report


def mirror(path: Path, *args: str) -> str:
    # These fleets are tiny: one device of two is half of it, more than the share a
    # mirror removes unasked. The guard has tests of its own (test_import_mass_removal).
    return run("import_backup_report", path, "--mirror", "--allow-mass-removal", *args)


def uids(model, field) -> set[str]:
    return set(model.objects.values_list(field, flat=True))


def test_devices_and_archives_the_export_no_longer_lists_are_removed(db, files):
    run("import_backup_report", files([vendor_row(1), vendor_row(2), vendor_row(3, archive=2)]))
    output = mirror(files([vendor_row(1), vendor_row(3, archive=None)], name="next.csv"))
    assert uids(Device, "device_uid") == {"device-1", "device-3"}
    assert uids(Archive, "archive_guid") == {"archive-1-1"}
    assert "devices: 0 created, 0 updated, 1 removed, 2 unchanged" in output
    assert "archives: 0 created, 0 updated, 2 removed, 1 unchanged" in output
    assert set(ReportRow.objects.values_list("device_uid", "archive_guid")) == {
        ("device-1", "archive-1-1"),
        ("device-3", None),
    }
    assert_in_step()


def test_without_mirror_nothing_is_removed(db, files):
    run("import_backup_report", files([vendor_row(1), vendor_row(2)]))
    output = run("import_backup_report", files([vendor_row(1)], name="next.csv"))
    assert Device.objects.count() == 2
    assert "removed" not in output


def test_destinations_and_servers_no_archive_names_are_removed(db, files):
    run("import_backup_report", files([vendor_row(1), vendor_row(2, serverUid="server-2")]))
    moved = vendor_row(2, destinationUid="dest-local", destinationName="Local", serverUid="")
    mirror(files([vendor_row(1, archive=None), moved], name="next.csv"))
    assert uids(Destination, "destination_uid") == {"dest-local"}
    assert not Server.objects.exists()
    assert_in_step()


def test_people_are_kept_with_their_logins(db, files):
    run("import_backup_report", files([vendor_row(1), vendor_row(2)]))
    manager = User.objects.get(user_uid="user-2")
    manager.set_password("secret")
    manager.save()
    output = mirror(files([vendor_row(1)], name="next.csv"))
    manager.refresh_from_db()
    assert manager.check_password("secret") and manager.org.org_uid == "org-hq"
    assert not manager.devices.exists()
    assert "People the export does not list (they own no device there): 1 kept" in output


def test_the_org_tree_comes_first_in_the_same_import(db, files):
    tree = files.tree("org-root,Root,,\norg-hq,Headquarters,HQ,org-root\n")
    output = mirror(files([vendor_row(1)]), "--orgs", str(tree))
    hq = Org.objects.get(org_uid="org-hq")
    assert hq.parent.org_uid == "org-root"
    assert ReportRow.objects.get().org_path == hq.path
    # Each org counted once, though both files name org-hq.
    assert "orgs: 2 created, 0 updated, 0 removed, 0 unchanged" in output
    assert_in_step()


def test_an_org_the_two_files_name_otherwise_takes_the_org_file_s_name_once(db, files):
    """Each applied in turn, the report renamed the org back on every import: one update
    a run, never "nothing to change" (found by an audit of the import). The org file's
    name and org code stand, the summary says so, and the second run changes nothing."""
    tree = files.tree("org-root,Root,,\norg-hq,Head Office,HO,org-root\n")
    report = files([vendor_row(1)])  # names org-hq Headquarters, HQ
    first = mirror(report, "--orgs", str(tree))
    hq = Org.objects.get(org_uid="org-hq")
    assert (hq.name, hq.ext_ref) == ("Head Office", "HO")
    assert ReportRow.objects.get().org_name == "Head Office"
    assert "Orgs the report names otherwise than the org file: 1, the org file's names kept" in (
        first
    )
    again = mirror(report, "--orgs", str(tree))
    assert "orgs: 0 created, 0 updated, 0 removed, 2 unchanged" in again
    assert "Nothing to change" in again or "0 updated" in again
    assert_in_step()


def test_orgs_follow_the_tree_and_unlisted_empty_ones_go(db, files):
    tree = files.tree(
        "org-root,Root,,\norg-hq,Headquarters,HQ,org-root\n"
        "org-old,Old,,org-root\norg-older,Older,,org-old\norg-lab,Lab,,org-root\n"
    )
    run("import_backup_report", files([vendor_row(1), vendor_row(2, orgUid="org-lab")]))
    run("import_orgs", tree)
    # At the source: Old and Older are gone, Lab too (but user 2 is kept, so is Lab), and
    # Headquarters moved below a new org.
    moved = files.tree(
        "org-root,Root,,\norg-emea,EMEA,,org-root\norg-hq,Headquarters,HQ,org-emea\n",
        name="next-orgs.csv",
    )
    output = mirror(files([vendor_row(1)], name="next.csv"), "--orgs", str(moved))
    assert uids(Org, "org_uid") == {"org-root", "org-emea", "org-hq", "org-lab"}
    assert Org.objects.get(org_uid="org-hq").parent.org_uid == "org-emea"
    assert "orgs: 1 created, 1 updated, 2 removed, 1 unchanged" in output
    assert "Orgs the source does not list but people here belong to: 1 kept." in output
    assert_in_step()


def test_a_dry_run_says_what_would_be_removed_and_changes_nothing(db, files):
    run("import_backup_report", files([vendor_row(1), vendor_row(2)]))
    run("import_orgs", files.tree("org-hq,Headquarters,HQ,\norg-gone,Gone,,\n"))
    before = database_snapshot()
    tree = files.tree("org-hq,Headquarters,HQ,\norg-new,New,,org-hq\n", name="next-orgs.csv")
    output = mirror(files([vendor_row(1)], name="next.csv"), "--orgs", str(tree), "--dry-run")
    assert database_snapshot() == before
    assert "devices: 0 created, 0 updated, 1 removed, 1 unchanged" in output
    assert "orgs: 1 created, 0 updated, 1 removed, 1 unchanged" in output
    assert "Dry run, nothing written. Would be: 1 created, 0 updated, 3 removed" in output


def test_a_bad_tree_stops_the_report_too(db, files):
    run("import_backup_report", files([vendor_row(1), vendor_row(2)]))
    before = database_snapshot()
    tree = files.tree("org-hq,Headquarters,HQ,org-nowhere\n")
    with pytest.raises(CommandError, match="orgs.csv, line 2, column parentOrgUid"):
        mirror(files([vendor_row(1, deviceName="renamed")], name="next.csv"), "--orgs", str(tree))
    assert database_snapshot() == before


def test_mirroring_the_same_files_again_changes_nothing(db, files):
    tree = files.tree("org-hq,Headquarters,HQ,\n")
    report = files([vendor_row(1), vendor_row(2, archive=None)])
    mirror(report, "--orgs", str(tree))
    before = database_snapshot()
    output = mirror(report, "--orgs", str(tree))
    assert "Imported: 0 created, 0 updated, 0 removed, 8 unchanged." in output
    assert database_snapshot() == before


def test_an_export_imported_again_is_the_same_data_even_with_defused_cells(
    db, files, client, personas, tmp_path
):
    """The export writes `'=...` for a cell a spreadsheet would run; reading it back
    takes the `'` off, so a mirror of another instance holds the source's very values."""
    device = Device.objects.get(user=personas["dave"])
    device.name, device.ext_ref = '=HYPERLINK("http://x","y")', "-42"
    device.save()
    client.force_login(personas["sysadmin"])
    response = client.get("/api/DeviceBackupReport", {"export": "csv", "extraColumns": "true"})
    export = tmp_path / "export.csv"
    export.write_bytes(b"".join(response.streaming_content))
    assert b"'=HYPERLINK" in export.read_bytes() and b",'-42," in export.read_bytes()
    before = database_snapshot()
    output = mirror(export)
    assert "Imported: 0 created, 0 updated, 0 removed" in output
    assert database_snapshot() == before


def test_a_username_the_vendor_gave_to_someone_new_is_moved_aside(db, files, client):
    run("import_backup_report", files([vendor_row(1)]))
    old = User.objects.get(user_uid="user-1")
    old.set_password("a long passphrase")
    old.save()
    client.force_login(old)
    assert client.get("/api/DeviceBackupReport").status_code == 200
    # At the vendor, user 1 is gone and a new person has the username.
    newcomer = vendor_row(2, username="user1@example.com")
    output = mirror(files([newcomer], name="next.csv"), "--dry-run")
    assert (
        "would be moved aside from the people who had them, whose access ends: 1 "
        "(user1@example.com)" in output
    )
    output = mirror(files([newcomer], name="next.csv"))
    # Named as they were, on the run's output and its audit event.
    ended = "Access ended, as the vendor deactivated or blocked them: 1 (user1@example.com)."
    assert ended in output
    finished = Event.objects.filter(kind="import.finished").latest("pk")
    assert finished.details["access_ended"] == ["user1@example.com"]
    old.refresh_from_db()
    assert old.username == f"~departed~{old.pk}~user1@example.com"
    assert User.objects.get(username="user1@example.com").user_uid == "user-2"
    assert_in_step()
    # The vendor no longer has them: their access ended, as its deactivation ends it;
    # their session and their password still answered 200 (found by an audit).
    assert not old.may_sign_in
    assert client.get("/api/DeviceBackupReport").status_code in (302, 401)
    token = base64.b64encode(f"{old.username}:a long passphrase".encode()).decode()
    basic = Client().get("/api/DeviceBackupReport", HTTP_AUTHORIZATION=f"Basic {token}")
    assert basic.status_code == 401


def test_a_local_account_holding_a_vendor_username_still_stops_the_import(db, files):
    User.objects.create_user("user1@example.com", password="x")
    before = database_snapshot()
    with pytest.raises(CommandError, match="already belongs to another user"):
        mirror(files([vendor_row(1)]))
    assert database_snapshot() == before
