"""`manage.py generate_demo_data`: a realistic, deterministic fleet and the demo logins."""

import datetime as dt
import statistics
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.audit.models import Event
from accounts.models import Org, User
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from reports import bulk, read_model
from reports.demo.logins import DEMO_PASSWORD
from reports.models import Archive, Destination, Device, ReportRow, UserSearch

# The fleet is generated as of the suite's start (tests/factories.py: time in tests).
NOW = timezone.now().replace(microsecond=0)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def generate(*options: str, devices: int = 500, seed: int = 7) -> str:
    out = StringIO()
    call_command(
        "generate_demo_data",
        "--devices",
        str(devices),
        "--seed",
        str(seed),
        "--now",
        NOW.isoformat(),
        *options,
        stdout=out,
    )
    return out.getvalue()


# Primary keys of the rows' sources (and the org path made of them) differ between runs.
_ROW_KEYS = ("id", "device_id", "archive_id", "owner_id", "org_id", "org_path")


def fleet_snapshot() -> dict[str, list]:
    """Everything generated, by uid rather than primary key (those differ between runs)."""
    return {
        "orgs": sorted(
            Org.objects.values_list("org_uid", "name", "ext_ref", "status", "parent__org_uid")
        ),
        "users": sorted(
            User.objects.values_list(
                "user_uid", "username", "first_name", "last_name", "email", "user_ext_ref",
                "user_status", "is_active", "date_joined", "org__org_uid",
            )
        ),
        "devices": sorted(
            (d.device_uid, d.user.user_uid, model_to_dict(d, exclude=["id", "user"]))
            for d in Device.objects.select_related("user")
        ),
        "archives": sorted(
            (a.archive_guid, a.device.device_uid, a.destination.destination_uid,
             a.server and a.server.server_uid,
             model_to_dict(a, exclude=["id", "device", "destination", "server"]))
            for a in Archive.objects.select_related("device", "destination", "server")
        ),
        "rows": rows(
            ReportRow.objects.values(*(f for f in read_model.ROW_FIELDS if f not in _ROW_KEYS))
        ),
    }  # fmt: skip


def rows(found) -> list[dict]:
    return sorted(found, key=lambda r: (r["device_uid"], r["archive_guid"] or ""))


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_gives_the_same_fleet():
    generate()
    first = fleet_snapshot()
    call_command("flush", interactive=False, verbosity=0)
    generate()
    assert fleet_snapshot() == first
    call_command("flush", interactive=False, verbosity=0)
    generate(seed=8)
    other = fleet_snapshot()
    # The same company (org names and refs), under other uids, with other devices.
    assert sorted(o[1:3] for o in other["orgs"]) == sorted(o[1:3] for o in first["orgs"])
    assert {o[0] for o in other["orgs"]}.isdisjoint(o[0] for o in first["orgs"])
    assert other["devices"] != first["devices"]


@pytest.mark.django_db
def test_report_rows_equal_the_join():
    generate()
    stored = ReportRow.objects.values(*read_model.ROW_FIELDS)
    joined = (
        dict(zip(read_model.ROW_FIELDS, row, strict=True)) for row in read_model.rows_for_devices()
    )
    assert rows(stored) == rows(joined)


@pytest.mark.django_db
def test_the_fleet_looks_like_a_real_one():
    output = generate()
    assert "Generated 500 devices" in output

    devices = Device.objects.all()
    active = devices.filter(status=Device.Status.ACTIVE)
    assert devices.count() == 500
    assert 1 <= devices.filter(archives__isnull=True).count() <= 30  # about 3%
    assert 10 <= devices.filter(status=Device.Status.DEACTIVATED).count() <= 100
    alerted = active.exclude(alert_states="OK").count()
    assert 0.05 * active.count() <= alerted <= 0.30 * active.count()
    assert active.filter(alert_states__contains="CriticalBackupAlert").exists()
    assert active.filter(alert_states__contains="WarningBackupAlert").exists()
    assert active.filter(alert_states__contains="ConnectionAlert").exists()
    assert set(devices.values_list("os", flat=True)) == {"win", "mac", "linux"}

    archives = Archive.objects.all()
    assert 1.3 <= archives.count() / 500 <= 1.8
    cold = archives.filter(cold_storage=True)
    assert (
        cold.filter(cold_storage_expire_date__gt=NOW).count()
        > cold.filter(cold_storage_expire_date__lte=NOW).count()
    )
    assert archives.filter(backup_complete_percentage__lt=100).exists()
    assert archives.filter(backup_complete_percentage=100).count() > 0.8 * archives.count()
    sizes = sorted(archives.values_list("selected_bytes", flat=True))
    assert 10 * 1024**3 <= statistics.median(sizes) <= 200 * 1024**3  # tens of GB
    assert sizes[-1] > 500 * 1024**3  # and a long tail

    assert Org.objects.filter(name="Accounting").count() >= 5
    assert max(org.depth for org in Org.objects.all()) >= 5
    people = {name for pair in User.objects.values_list("first_name", "last_name") for name in pair}
    assert any(not name.isascii() for name in people)  # Zoë, Søren, José, Łukasz, 田中...


@pytest.mark.django_db
def test_employee_1001_can_be_found_like_the_vendor_example():
    generate(devices=20)
    person = User.objects.get(user_ext_ref="1001")
    assert person.user_status == User.Status.ACTIVE
    assert ReportRow.objects.filter(owner_id=person.pk).exists()
    assert UserSearch.objects.filter(owner_id=person.pk, user_search__contains="1001").exists()


@pytest.mark.django_db
def test_alert_states_follow_the_dates():
    generate()
    for device in Device.objects.prefetch_related("archives"):
        if device.status == Device.Status.DEACTIVATED:
            assert device.alert_states == "OK"
            continue
        live = [a for a in device.archives.all() if not a.cold_storage]
        since = min(
            (a.last_completed_backup_date or device.creation_date for a in live),
            default=device.creation_date,
        )
        expected = []
        ages = {"Backup": NOW - since, "Connection": NOW - device.last_connected_date}
        for kind, age in ages.items():
            if age > 7 * DAY:
                expected.append(f"Critical{kind}Alert")
            elif age > 3 * DAY:
                expected.append(f"Warning{kind}Alert")
        assert device.alert_states == (" ".join(expected) or "OK"), device.name
        assert device.creation_date <= device.last_connected_date <= NOW
        for archive in device.archives.all():
            if archive.last_completed_backup_date and not archive.cold_storage:
                assert archive.last_completed_backup_date <= archive.last_activity
                assert archive.last_activity <= device.last_connected_date


@pytest.mark.django_db
def test_if_empty_does_nothing_the_second_time():
    generate(devices=30)
    devices = set(Device.objects.values_list("device_uid", flat=True))
    output = generate("--if-empty", devices=30, seed=99)
    assert "already has 30 devices" in output
    assert set(Device.objects.values_list("device_uid", flat=True)) == devices


@pytest.mark.django_db
def test_it_refuses_a_database_with_devices_without_if_empty():
    generate(devices=5)
    with pytest.raises(CommandError, match="already has 5 devices"):
        generate(devices=5)


@pytest.mark.django_db
def test_demo_logins_can_log_in_with_their_roles(client):
    output = generate("--demo-logins", devices=300)
    assert DEMO_PASSWORD in output
    expected = {
        "demo-admin": SYSTEM_ADMINISTRATORS,
        "demo-manager": ORG_MANAGERS,
        "demo-user": DESKTOP_USERS,
    }
    for username, group in expected.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert client.login(username=username, password=DEMO_PASSWORD)
        client.logout()
    assert User.objects.get(username="demo-admin").is_staff
    manager = User.objects.get(username="demo-manager")
    assert manager.org.name == "Accounting"
    assert manager.org.parent.children.count() > 1
    assert ReportRow.objects.visible_to(manager).count() >= 5
    person = User.objects.get(username="demo-user")
    assert 2 <= person.devices.count() <= 3
    assert set(ReportRow.objects.filter(owner_id=person.pk).values_list("username", flat=True)) == {
        "demo-user"
    }


@pytest.mark.django_db
def test_the_roles_of_demo_logins_are_by_who_ran_the_command(monkeypatch):
    """On the audit log as every command's events are, by the OS user (they named
    nobody, found by an audit of section 13)."""
    monkeypatch.setenv("LOGNAME", "ops-olga")
    generate("--demo-logins", devices=100)
    given = Event.objects.filter(kind="role.given")
    assert given.exists()
    assert set(given.values_list("actor", flat=True)) == {"ops-olga"}
    assert {e.details["via"] for e in given} == {"the generate_demo_data command"}


@pytest.mark.django_db
def test_demo_logins_twice_keeps_the_same_three_users(client):
    generate("--demo-logins", devices=100)
    demo_user_devices = set(Device.objects.filter(user__username="demo-user"))
    output = generate("--if-empty", "--demo-logins", devices=100)
    assert "already has" in output
    assert "demo-manager" in output
    assert User.objects.filter(username__startswith="demo-").count() == 3
    assert set(Device.objects.filter(user__username="demo-user")) == demo_user_devices
    assert client.login(username="demo-user", password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_progress_is_plain_lines_off_a_terminal_and_quiet_at_verbosity_0():
    output = generate(devices=10)
    assert "Devices: 10/10 (100%)" in output
    assert "\r" not in output
    out = StringIO()
    call_command("generate_demo_data", "--devices", "10", "--if-empty", "-v", "0", stdout=out)
    assert out.getvalue() == ""


# reports.bulk, which the generator and the read model write through.


@pytest.mark.django_db
def test_bulk_insert_writes_plain_values():
    fields = ["destination_uid", "name", "type"]
    written = bulk.insert(
        Destination, fields, ((f"dest-{n}", f"Cloud {n}", "cloud") for n in range(5))
    )
    assert written == 5
    assert list(Destination.objects.values_list(*fields).order_by("name")[:2]) == [
        ("dest-0", "Cloud 0", "cloud"),
        ("dest-1", "Cloud 1", "cloud"),
    ]


def _index_and_key_definitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'reports_archive'"
            " UNION SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'reports_archive'::regclass"
        )
        return {definition for (definition,) in cursor.fetchall()}


@pytest.mark.django_db
def test_loading_puts_indexes_and_foreign_keys_back_and_checks_them():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: elsewhere loading() does nothing")
    before = _index_and_key_definitions()
    device = Device.objects.create(device_uid="d-1", name="LT-1", user=User.objects.create())
    fields = ["archive_guid", "device_id", "cold_storage"] + [
        "most_recent_user_profile_creation_result",
        "most_recent_user_profile_backup_result",
    ]
    with bulk.loading(Archive):
        assert _index_and_key_definitions() < before
        bulk.insert(Archive, fields, [("a-1", device.pk, False, "", "")])
    assert _index_and_key_definitions() == before

    with pytest.raises(IntegrityError), bulk.loading(Archive):
        bulk.insert(Archive, fields, [("a-2", device.pk + 1000, False, "", "")])


@pytest.mark.django_db
def test_the_demo_fleet_imports_back_from_its_own_export_unchanged(tmp_path):
    """Every generated date is in whole milliseconds, as the export writes dates: a mirror
    synced from a demo instance holds the very same values (no update on the first sync)."""
    from reports.export import csv_lines

    generate(devices=300)
    export = tmp_path / "export.csv"
    export.write_text("".join(csv_lines(ReportRow.objects.all(), extra_columns=True)))
    out = StringIO()
    call_command("import_backup_report", str(export), "--dry-run", stdout=out)
    summary = out.getvalue()
    assert "archives: 0 created, 0 updated" in summary, summary
    assert "devices: 0 created, 0 updated" in summary, summary
