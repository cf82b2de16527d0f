"""The benchmark's fleet: a database with N demo devices, the personas and the samples.

Runs inside the benchmark process, with Django set up on the benchmark's database.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from accounts.models import Org, User
from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from reports.history.models import Snapshot
from reports.models import Device, ReportRow

PASSWORD = "bench-password-1"


@dataclass
class Samples:
    last_name_part: str
    employee_id: str
    org_name: str
    device_part: str
    manager_org: str
    manager_rows: int
    rows: int
    devices: int
    orgs: int
    history_days: int  # days with snapshots


def ensure_fleet(devices: int, seed: int, log, history_days: int | None = None) -> None:
    call_command("migrate", verbosity=0)
    have = Device.objects.count()
    if have == devices:
        log(f"reusing the fleet of {have:,} devices")
        return
    if have:
        log(f"the database holds {have:,} devices, not {devices:,}: starting again")
        call_command("flush", interactive=False, verbosity=0)
    log(f"generating {devices:,} devices (seed {seed})")
    # A full retention of history, as a fleet that has run this product for a while has
    # (fewer days where a tiny run only needs history to exist).
    call_command(
        "generate_demo_data",
        devices=devices,
        seed=seed,
        history_days=settings.HISTORY_DAYS if history_days is None else history_days,
        verbosity=1,
    )


def settle() -> None:
    """What autovacuum does a while after a bulk load: the visibility map that lets a
    count use an index-only scan, and fresh planner statistics."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM reports_reportrow")  # its statistics: analyze()
        analyze()


def analyze() -> None:
    """Planner statistics of every table, as autovacuum keeps them: this machine's
    PostgreSQL runs with autovacuum off (its CI configuration), and without them the
    sync's statements were planned on guesses (the people's search texts of a million
    devices, 8.8 s against 3.3 s with them, 2026-12-05). A server left as installed has
    them within a minute of a bulk load."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def personas() -> str:
    """bench-admin (system administrator) and bench-manager (manager of a large region)."""
    admin = User.objects.filter(username="bench-admin").first() or User(username="bench-admin")
    admin.set_password(PASSWORD)
    admin.save()
    admin.groups.set([Group.objects.get_or_create(name=SYSTEM_ADMINISTRATORS)[0]])

    # The largest org one level below the root: a region of the company.
    regions = Org.objects.filter(parent__isnull=False, parent__parent__isnull=True)
    largest, largest_rows = None, -1
    for region in regions:
        count = ReportRow.objects.filter(org_path__startswith=region.path).count()
        if count > largest_rows:
            largest, largest_rows = region, count
    manager = User.objects.filter(username="bench-manager").first() or User(
        username="bench-manager"
    )
    manager.set_password(PASSWORD)
    manager.org = largest
    manager.save()
    manager.groups.set([Group.objects.get_or_create(name=ORG_MANAGERS)[0]])
    return largest.name if largest else "-"


def samples(manager_org: str) -> Samples:
    rows = ReportRow.objects
    common_last = (
        rows.exclude(last_name=None).values("last_name").annotate(n=Count("id")).order_by("-n")
    )
    last_name = (
        common_last[5]["last_name"] if common_last.count() > 5 else common_last[0]["last_name"]
    )
    employee = rows.exclude(user_ext_ref=None).order_by("id").values_list("user_ext_ref", flat=True)
    device = rows.exclude(device_name=None).order_by("id").values_list("device_name", flat=True)
    org = (
        rows.filter(org_name__icontains="accounting").values_list("org_name", flat=True).first()
        or rows.exclude(org_name=None).values_list("org_name", flat=True).first()
    )
    manager = User.objects.get(username="bench-manager")
    return Samples(
        last_name_part=last_name[: max(4, len(last_name) - 2)],
        employee_id=employee[len(employee) // 2] if employee.count() > 1 else employee[0],
        org_name=org,
        device_part=device[len(device) // 3][:8],
        manager_org=manager_org,
        manager_rows=rows.visible_to(manager).count(),
        rows=rows.count(),
        devices=Device.objects.count(),
        orgs=Org.objects.count(),
        history_days=Snapshot.objects.values("day").distinct().count(),
    )


def make_reference_tables() -> None:
    """The physical references: the report's rows in plain tables, in the export's order.

    bench_reference holds them as the export writes them, one text column a field,
    loaded by PostgreSQL's own CSV reader from the export of every row (so its COPY
    gives the very bytes of the export): the vendor's 34 columns, and
    bench_reference_extended the 37 of `extraColumns=true`. bench_reference_raw holds
    the raw columns of the 34, for a reference that does no encoding at all.
    """
    from reports.row import VENDOR_ROW

    order = "ORDER BY archive_guid ASC NULLS FIRST, device_uid ASC NULLS FIRST"
    _load_reference("bench_reference", extra_columns=False)
    _load_reference("bench_reference_extended", extra_columns=True)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_reference_raw")
        cursor.execute(
            f"CREATE TABLE bench_reference_raw AS SELECT {', '.join(VENDOR_ROW.attributes)}"
            f" FROM reports_reportrow {order}"
        )
        cursor.execute("ANALYZE bench_reference_raw")


def _load_reference(table: str, extra_columns: bool) -> None:
    """A plain table of text columns, loaded from the export of every row."""
    import tempfile

    from reports.export import csv_chunks, header
    from reports.query import report_query

    administrator = User.objects.get(username="bench-admin")
    names = header(extra_columns).rstrip("\n").split(",")
    columns = ", ".join(f'"{name}" text' for name in names)
    rows = report_query({}, administrator).rows
    with tempfile.TemporaryFile() as export, connection.cursor() as cursor:
        for chunk in csv_chunks(rows, extra_columns):
            export.write(chunk)
        export.seek(0)
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} ({columns})")
        with cursor.cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER)") as copy:
            while block := export.read(1024 * 1024):
                copy.write(block)
        cursor.execute(f"ANALYZE {table}")


def time_reference_copy(name: str) -> tuple[int, float]:
    """COPY <name> TO STDOUT WITH CSV HEADER, read to the end: (bytes, seconds)."""
    import time

    raw = connection.connection
    started = time.perf_counter()
    total = 0
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {name} TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
    ):
        for data in copy:
            total += len(data)
    return total, time.perf_counter() - started


def first_page_bytes(params: dict) -> bytes:
    """The API page these parameters ask for, as bench-admin gets it now: section g's
    in-memory reference serves these very bytes."""
    from reports.api.views import report_page
    from reports.query import report_query

    administrator = User.objects.get(username="bench-admin")
    return report_page(report_query({k: str(v) for k, v in params.items()}, administrator))
