"""The flat report table always equals the join of the environment tables."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict

from accounts.models import Org
from reports import read_model
from reports.health import MISSING_COPY
from reports.models import (
    Archive,
    Destination,
    DestinationSearch,
    Device,
    OrgSearch,
    ReportRow,
    UserSearch,
)
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory

EXCLUDED = {"id"}


def snapshot() -> list[dict]:
    rows = [model_to_dict(row, exclude=EXCLUDED) for row in ReportRow.objects.all()]
    return sorted(rows, key=lambda r: (r["device_uid"], r["archive_guid"] or ""))


def from_join() -> list[dict]:
    rows = [
        {k: v for k, v in zip(read_model.ROW_FIELDS, row, strict=True) if k not in EXCLUDED}
        for row in read_model.rows_for_devices()
    ]
    return sorted(rows, key=lambda r: (r["device_uid"], r["archive_guid"] or ""))


def place_texts() -> dict[type, dict]:
    return {
        model: dict(model.objects.values_list(*(f.attname for f in model._meta.fields)))
        for model in (OrgSearch, DestinationSearch)
    }


def assert_in_step() -> None:
    assert snapshot() == from_join()
    assert place_texts() == read_model.place_search_texts()


def test_device_with_two_archives_has_two_rows(people):
    device = Device.objects.get(user=people["dave"])
    ArchiveFactory(device=device, archive_guid="second-archive")
    assert ReportRow.objects.filter(device_id=device.pk).count() == 2
    assert_in_step()


def test_device_without_archive_has_one_row_with_null_archive_fields(people):
    device = DeviceFactory(user=people["dave"])
    row = ReportRow.objects.get(device_id=device.pk)
    assert row.archive_guid is None
    assert row.destination_name is None
    assert row.cold_storage is None
    assert_in_step()


def test_renaming_a_user_updates_their_rows(people):
    dave = people["dave"]
    dave.last_name = "Dunnington"
    dave.save()
    assert set(ReportRow.objects.filter(owner_id=dave.pk).values_list("last_name", flat=True)) == {
        "Dunnington"
    }
    assert_in_step()


def test_moving_an_org_moves_its_subtree_rows(orgs, people):
    emea, americas = orgs["emea"], orgs["americas"]
    emea.parent = americas
    emea.save()
    accounting = Org.objects.get(pk=orgs["accounting"].pk)
    assert accounting.path == f"{americas.path}{emea.pk}/{accounting.pk}/"
    row = ReportRow.objects.get(owner_id=people["dave"].pk)
    assert row.org_path == accounting.path
    assert_in_step()


def test_an_org_cannot_move_below_itself(orgs):
    acme = orgs["acme"]
    acme.parent = orgs["accounting"]
    with pytest.raises(ValueError, match="subtree"):
        acme.save()


def test_renaming_a_destination_and_deleting_archives(people):
    destination = Destination.objects.get()
    destination.name = "Renamed Cloud"
    destination.save()
    assert set(ReportRow.objects.values_list("destination_name", flat=True)) == {"Renamed Cloud"}
    Archive.objects.filter(device__user=people["sam"]).get().delete()
    row = ReportRow.objects.get(owner_id=people["sam"].pk)
    assert row.archive_guid is None
    Device.objects.filter(user=people["erin"]).get().delete()
    assert not ReportRow.objects.filter(owner_id=people["erin"].pk).exists()
    assert_in_step()


def test_an_archive_moved_to_another_device_moves_its_row(people):
    """Only the new device's rows were redone: the old device's row of the archive
    stayed, and the new one failed on the unique archive (the admin answered 500)."""
    archive = Archive.objects.filter(device__user=people["sam"]).get()
    erins = Device.objects.filter(user=people["erin"]).get()
    archive.device = erins
    archive.save()
    assert ReportRow.objects.get(archive_guid=archive.archive_guid).device_id == erins.pk
    left = ReportRow.objects.get(owner_id=people["sam"].pk)
    assert left.archive_guid is None  # a device without an archive keeps one row
    assert_in_step()


def report_indexes() -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, ReportRow._meta.db_table)


def test_rebuild_gives_the_same_table_and_indexes(people):
    before, indexes = snapshot(), report_indexes()
    ReportRow.objects.filter(owner_id=people["dave"].pk).delete()
    ReportRow.objects.filter(owner_id=people["sam"].pk).update(csv_line="stale")
    assert read_model.rebuild() == len(before)
    assert snapshot() == before
    assert report_indexes() == indexes


def test_the_rebuild_command(people):
    before = snapshot()
    ReportRow.objects.all().update(username="stale")
    out = io.StringIO()
    call_command("rebuild_report", stdout=out)
    assert f"Rebuilt {len(before):,} report rows" in out.getvalue()
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_the_rebuild_command_outside_any_transaction(people):
    """As an admin runs it: no test's transaction around it, so the rebuild's VACUUM of
    the new table runs (PostgreSQL) or is left out (SQLite, which has none of its
    options and failed on them)."""
    before = snapshot()
    out = io.StringIO()
    call_command("rebuild_report", stdout=out)
    assert f"Rebuilt {len(before):,} report rows" in out.getvalue()
    assert snapshot() == before


def test_org_and_destination_searches_follow_renames_and_removals(people):
    dave = people["dave"]
    device = Device.objects.get(user=dave)
    destination = device.archives.get().destination
    dave.org.name, dave.org.ext_ref = "Bokføring Zürich", "BZ-9"
    dave.org.save()
    destination.name = "Tresor NORD"
    destination.save()
    rows = ReportRow.objects.all()

    def found(column: str, text: str) -> set[int]:
        return set(read_model.matching(rows, column, text).values_list("device_id", flat=True))

    assert device.pk in found("org_search", "føring zürich") == found("org_search", "bz-9")
    assert found("org_search", "føring") == set(
        rows.filter(org_id=dave.org_id).values_list("device_id", flat=True)
    )
    assert device.pk in found("destination_search", "tresor nord")
    assert device.pk not in found("org_search", "accounting")
    assert_in_step()
    gone = OrgFactory(name="Closed Branch")
    assert OrgSearch.objects.get(org_id=gone.pk).org_search.startswith("closed branch")
    gone.delete()
    read_model.refresh_devices([device.pk])  # any refresh drops the texts of orgs gone
    assert not OrgSearch.objects.filter(org_id=gone.pk).exists()
    assert_in_step()


def test_search_columns_are_lower_cased_for_every_alphabet(people):
    assert "sørensen" in UserSearch.objects.get(owner_id=people["sam"].pk).user_search
    assert "åkesson" in UserSearch.objects.get(owner_id=people["alice"].pk).user_search


@pytest.mark.parametrize("seed", range(5))
def test_random_edit_sequences_keep_the_table_in_step(db, seed):
    random_edits(seed, after_each=assert_in_step)


@pytest.mark.parametrize("seed", range(3))
def test_edits_refreshed_at_the_end_leave_the_rows_each_edit_refreshed_would(db, seed):
    with read_model.refreshed_at_the_end():
        with read_model.refreshed_at_the_end():  # nested: the outermost refreshes
            random_edits(seed)
        assert Device.objects.exists() and not ReportRow.objects.exists()
    assert_in_step()


def test_an_error_inside_refreshed_at_the_end_leaves_later_edits_refreshed_each(people):
    with pytest.raises(ValueError), read_model.refreshed_at_the_end():
        DeviceFactory(user=people["dave"], name="NOT-YET")
        raise ValueError("the caller's transaction is to be rolled back")
    assert not ReportRow.objects.filter(device_name="NOT-YET").exists()
    DeviceFactory(user=people["dave"], name="AT-ONCE")
    assert ReportRow.objects.filter(device_name="AT-ONCE").exists()


def random_edits(seed: int, after_each=lambda: None) -> None:
    """Forty ORM edits of every kind the signals hear, drawn from the seed."""
    import random

    rng = random.Random(seed)
    orgs = [OrgFactory()]
    users, devices = [], []
    for step in range(40):
        action = rng.choice(["org", "user", "device", "archive", "edit", "move", "delete"])
        if action == "org":
            orgs.append(OrgFactory(parent=rng.choice(orgs + [None])))
        elif action == "user" or not users:
            users.append(UserFactory(org=rng.choice(orgs)))
        elif action == "device" or not devices:
            devices.append(DeviceFactory(user=rng.choice(users)))
        elif action == "archive":
            ArchiveFactory(device=rng.choice(devices))
        elif action == "edit":
            user = rng.choice(users)
            user.last_name = f"Renamed{step}"
            user.org = rng.choice(orgs)
            user.save()
        elif action == "move":
            org = rng.choice(orgs)
            target = rng.choice(orgs)
            if f"/{org.pk}/" not in Org.objects.get(pk=target.pk).path:
                org.refresh_from_db()
                org.parent = target
                org.name = f"Moved{step}"
                org.save()
        elif action == "delete":
            device = rng.choice(devices)
            archive = device.archives.first()
            if archive:
                archive.delete()
            else:
                devices.remove(device)
                device.delete()
        after_each()


def test_device_wide_columns_mark_one_row_and_the_stalest_backup(people):
    """Health per destination (spec 11): the device's health date is its stalest
    archive's; one never completed beside completed ones is the missing-copy date."""
    device = Device.objects.get(user=people["dave"])
    first = device.archives.get()
    older = first.last_completed_backup_date
    ArchiveFactory(
        device=device,
        archive_guid="000-first-by-guid",
        last_completed_backup_date=older + dt.timedelta(days=1),
        selected_bytes=7,
    )
    rows = ReportRow.objects.filter(device_id=device.pk)
    assert set(rows.values_list("device_backup_date", flat=True)) == {older}
    largest = max(a.selected_bytes or 0 for a in device.archives.all())
    assert set(rows.values_list("device_selected_bytes", flat=True)) == {largest}
    ArchiveFactory(device=device, archive_guid="zzz-never", last_completed_backup_date=None)
    assert rows.count() == 3
    assert set(rows.values_list("device_backup_date", flat=True)) == {MISSING_COPY}
    assert list(rows.filter(device_first=True).values_list("archive_guid", flat=True)) == [
        "000-first-by-guid"
    ]
    bare = DeviceFactory(user=people["dave"])
    row = ReportRow.objects.get(device_id=bare.pk)
    assert row.device_first and row.device_backup_date is None
    assert_in_step()


@pytest.mark.parametrize(
    ("fleet", "redone", "said"),
    [(5, 3, "rebuilt"), (5, 2, "redone for 2 devices"), (6, 3, "redone for 3 devices")],
)
def test_an_import_rebuilds_from_three_fifths_of_the_fleet(db, fleet, redone, said):
    """bring_in_step counts the fleet only as far as its choice needs: 3 devices of 5 is
    three fifths, a rebuild; 2 of 5, or 3 of 6, are not."""
    from reports.importing.report_rows import bring_in_step

    devices = [DeviceFactory() for _ in range(fleet)]
    assert said in bring_in_step({d.pk for d in devices[:redone]})
    assert_in_step()


def test_a_query_ending_in_a_sigma_finds_the_names_it_begins(client, personas):
    """Python's lower case (and ICU's, which the import in the database writes the texts
    with) makes a word's last Σ a final ς, and the end of what is typed is rarely a
    word's end: user=ΚΩΣ, lowered "κως", found no Κωστας (found by an audit of section 3).
    Either sigma is looked for there."""
    dave = personas["dave"]
    dave.first_name, dave.last_name = "Κωστας", "Παπαδοπουλος"
    dave.save()
    device = Device.objects.get(user=dave)
    rows = ReportRow.objects.all()
    for typed in ("ΚΩΣ", "κωσ", "Κως", "Κωστας", "ΚΩΣΤΑΣ", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "ΚΩΣΤΑΣ ΠΑΠ"):
        found = read_model.matching(rows, "user_search", read_model.search_text(typed))
        assert set(found.values_list("device_id", flat=True)) == {device.pk}, typed
    client.force_login(personas["sysadmin"])
    answer = client.get("/api/DeviceBackupReport", {"user": "ΚΩΣ"}).json()
    assert [row["deviceUid"] for row in answer["data"]] == [device.device_uid]
