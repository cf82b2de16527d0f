"""The report rows made by SQL (reports.read_model_sql) are the rows read_model makes in
Python, byte for byte, on the values that tempt a difference. PostgreSQL only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from accounts.models import Org, User
from reports import read_model, read_model_sql
from reports.models import (
    Archive,
    Destination,
    DestinationSearch,
    Device,
    DeviceSearch,
    OrgSearch,
    ReportRow,
    UserSearch,
)
from tests.factories import NOW, ArchiveFactory, DeviceFactory, UserFactory, refreshing_once

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

UTC = dt.UTC


def rows() -> list[tuple]:
    names = [f.attname for f in ReportRow._meta.concrete_fields if not f.primary_key]
    return sorted(ReportRow.objects.values_list(*names), key=repr)


@pytest.fixture
@refreshing_once
def fleet(db):
    devices = []
    names = ["=cmd", "-x", "@y", "\tz", "+1", 'Room 4, "Lab"\nPC', "Élodie's", "a\x7fb", "c\x1cd"]
    for n, name in enumerate(names):
        devices.append(DeviceFactory(name=name, ext_ref="" if n % 2 else f"A-{n}"))
    devices.append(DeviceFactory(user=UserFactory(org=None, first_name="", last_name="Solo")))
    # Full names read as typed: every space str.split() knows, at the ends and between.
    spaced = UserFactory(first_name=" Mary\u2003 Ann\xa0", last_name="van\t\x1c Dijk ,Jr ")
    devices.append(DeviceFactory(user=spaced))
    devices.append(DeviceFactory(alert_states="OK OK"))
    devices.append(DeviceFactory(alert_states="OK CriticalBackupAlert"))
    devices.append(DeviceFactory(alert_states="OKish"))
    devices.append(DeviceFactory(alert_states=""))
    devices.append(DeviceFactory(creation_date=dt.datetime(999, 1, 1, tzinfo=UTC)))
    devices.append(DeviceFactory(last_connected_date=None, os_version="Zoë"))
    # JSON's backslash; a row past ASCII with a cell that may look like a formula start.
    devices.append(DeviceFactory(name="C:\\Users\\pc"))
    devices.append(DeviceFactory(name="Zoë -5", os_version="-5"))
    for n, percentage in enumerate([33.3, 99.95, 0.05, 0.0, 100.0, None, 12.25, 7.0]):
        device = devices[n]
        ArchiveFactory(
            device=device,
            backup_complete_percentage=percentage,
            last_activity=NOW - dt.timedelta(microseconds=123_456 * (n + 1)),
            cold_storage=bool(n % 2),
            cold_storage_expire_date=NOW + dt.timedelta(days=n) if n % 2 else None,
            most_recent_user_profile_backup_result="SUCCESS" if n % 3 else "",
        )
    # Two archives, one never completed (the missing copy); two, both completed; none done.
    ArchiveFactory(device=devices[0], last_completed_backup_date=None)
    ArchiveFactory(device=devices[1], last_completed_backup_date=NOW - dt.timedelta(days=9))
    ArchiveFactory(device=devices[14], last_completed_backup_date=None)
    ArchiveFactory(device=devices[15], selected_bytes=None, archive_bytes=0)
    return devices


def test_a_rebuild_makes_the_same_rows(fleet):
    read_model.rebuild()
    by_python = rows()
    read_model_sql.rebuild()
    assert rows() == by_python
    assert len(by_python) == ReportRow.objects.count() > len(fleet)


def test_a_refresh_makes_the_same_rows(fleet):
    read_model.rebuild()
    by_python = rows()
    some = [device.pk for device in fleet[::2]]
    ReportRow.objects.filter(device_id__in=some).update(csv_line="stale", json_object="stale")
    read_model_sql.refresh_devices(some)
    assert rows() == by_python


def test_sql_makes_most_rows_and_python_only_the_odd_devices(fleet):
    with read_model_sql._rows_table() as table:
        written, left = read_model_sql._write_by_sql(table, None)
    odd = set(left)
    others = ReportRow.objects.exclude(device_id__in=odd)
    assert written == others.count() > 0
    assert odd and len(odd) < len(fleet) // 2
    # Text past ASCII SQL writes itself (JSON's \\u escapes, ICU's lower case); a year
    # before 1000 it leaves to Python.
    assert not {d.pk for d in fleet if d.os_version == "Zoë" or d.name == "a\x7fb"} & odd
    assert {d.pk for d in fleet if d.creation_date.year == 999} <= odd


def test_a_refresh_rewrites_only_the_rows_that_differ(fleet):
    read_model.rebuild()
    by_python = rows()
    before = set(ReportRow.objects.values_list("id", flat=True))
    stale = ReportRow.objects.filter(device_id=fleet[0].pk).first()
    ReportRow.objects.filter(pk=stale.pk).update(json_object="stale")
    read_model_sql.refresh_devices([device.pk for device in fleet])
    assert rows() == by_python
    after = set(ReportRow.objects.values_list("id", flat=True))
    assert before - after == {stale.pk}
    assert len(after - before) == 1


def searches() -> tuple[list, list, list, list]:
    return (
        sorted(UserSearch.objects.values_list("owner_id", "user_search")),
        sorted(DeviceSearch.objects.values_list("device_id", "device_search", "os_search")),
        sorted(OrgSearch.objects.values_list("org_id", "org_search")),
        sorted(DestinationSearch.objects.values_list("destination_uid", "destination_search")),
    )


def test_a_rebuild_makes_the_same_search_texts_writing_only_what_differs(fleet):
    read_model.rebuild()
    by_python = searches()
    assert len(by_python[1]) == len(fleet)
    UserSearch.objects.filter(owner_id=fleet[0].user_id).update(user_search="stale")
    DeviceSearch.objects.filter(device_id=fleet[1].pk).delete()
    DeviceSearch.objects.create(device_id=10**9, device_search="gone", os_search="gone")
    UserSearch.objects.create(owner_id=10**9, user_search="gone")
    assert by_python[2] and by_python[3]
    OrgSearch.objects.filter(org_id=by_python[2][0][0]).update(org_search="stale")
    DestinationSearch.objects.filter(destination_uid=by_python[3][0][0]).delete()
    OrgSearch.objects.create(org_id=10**9, org_search="gone")
    read_model_sql.rebuild()
    assert searches() == by_python


def test_a_rebuild_neither_writes_nor_locks_the_search_texts_that_stay(fleet):
    """A rebuild after a sync that moved only dates computes every text and finds each
    the same: none is written (a write puts the row elsewhere), nor locked (a lock marks
    its xmax), where one text that did change is written alone."""
    read_model.rebuild()
    owner = fleet[0].user_id
    User.objects.filter(pk=owner).update(email="moved@example.com")
    tables = ["reports_usersearch", "reports_devicesearch", "reports_orgsearch"]
    tables.append("reports_destinationsearch")
    rows = " UNION ALL ".join(
        f"SELECT '{table}', ctid::text, xmin::text, xmax::text FROM {table}" for table in tables
    )

    def places() -> set[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(rows)
            return set(cursor.fetchall())

    before = places()
    assert {xmax for *_, xmax in before} == {"0"}
    read_model_sql.rebuild()
    touched = places() - before
    assert [table for table, *_ in touched] == ["reports_usersearch"]
    assert "moved@example.com" in UserSearch.objects.get(owner_id=owner).user_search


def test_a_refresh_keeps_the_search_texts_of_moved_renamed_and_removed_devices(fleet):
    read_model.rebuild()
    moved, removed = fleet[2], fleet[9]  # the second owns no archive
    newcomer = UserFactory(first_name="Ångström", last_name="Newcomer")
    # As a sync writes, without the signals of an edit: an org and a destination renamed.
    Device.objects.filter(pk=moved.pk).update(user=newcomer, name="Renamed Laptop")
    Org.objects.filter(pk=newcomer.org_id).update(name="Ørsted Gruppe", ext_ref="OG-1")
    destination = moved.archives.get().destination
    Destination.objects.filter(pk=destination.pk).update(name="Tresor NORD")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_archive WHERE device_id = %s", [removed.pk])
        cursor.execute("DELETE FROM reports_device WHERE id = %s", [removed.pk])
    read_model_sql.refresh_devices([moved.pk, removed.pk])
    by_sql = searches()
    assert any(device == moved.pk and "renamed laptop" in text for device, text, _ in by_sql[1])
    assert any(owner == newcomer.pk and "ångström" in text for owner, text in by_sql[0])
    assert not any(owner in (moved.user_id, removed.user_id) for owner, _ in by_sql[0])
    assert not any(device == removed.pk for device, *_ in by_sql[1])
    assert (newcomer.org_id, "ørsted gruppe\x1fog-1") in by_sql[2]
    assert (destination.destination_uid, "tresor nord") in by_sql[3]
    read_model.rebuild()
    assert searches() == by_sql


def test_a_refresh_computes_the_search_texts_only_of_devices_whose_searched_fields_moved(fleet):
    """A sync that moves dates redoes rows whose people and devices did not change: their
    texts are left as they are (a text made stale on purpose stays so), and only the
    device that changed a searched field, and its owner, get theirs anew."""
    read_model.rebuild()
    dated, renamed = fleet[3], fleet[4]
    DeviceSearch.objects.filter(device_id=dated.pk).update(device_search="left alone")
    UserSearch.objects.filter(owner_id=dated.user_id).update(user_search="left alone")
    UserSearch.objects.filter(owner_id=renamed.user_id).update(user_search="stale")
    moved = NOW - dt.timedelta(days=3)
    Archive.objects.filter(device=dated).update(last_completed_backup_date=moved)
    User.objects.filter(pk=renamed.user_id).update(email="renamed@example.com")
    read_model_sql.refresh_devices([dated.pk, renamed.pk])
    assert ReportRow.objects.filter(device_id=dated.pk, last_completed_backup_date=moved).exists()
    assert DeviceSearch.objects.get(device_id=dated.pk).device_search == "left alone"
    assert UserSearch.objects.get(owner_id=dated.user_id).user_search == "left alone"
    assert "renamed@example.com" in UserSearch.objects.get(owner_id=renamed.user_id).user_search
