"""Times reports.read_model_sql.refresh_devices on every 62nd device of a fleet (16,129
devices, 25,950 rows at a million), each statement over 50 ms shown; rolled back, so the
fleet stays as it was.

    DATABASE_URL=postgres://... .venv/bin/python bench/report_rows_refresh.py [move] [checkpoint]

`move`: first move those devices' and their archives' dates a day back, as a sync of a
typical change does, so every row redone differs; without it the rows come out the same.
`checkpoint`: a CHECKPOINT first, as an hourly sync always follows one: then the first
write of each index page puts the whole page in the WAL (2026-12-04: 1.7 GB of WAL
and 10-12 s, against 330 MB and 8.5 s without). The WAL written is shown either way.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")
sys.path.insert(0, os.getcwd())

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from reports import read_model_sql  # noqa: E402


def timing(shown_over: float, heard=None):
    """An execute wrapper: prints each statement slower than `shown_over` seconds, and
    tells `heard(sql, seconds)` of every one."""

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - start
            if heard:
                heard(sql, took)
            if took > shown_over:
                print(f"  {took:6.2f} s  {' '.join(sql.split())[:90]}", flush=True)

    return timed


def move_dates(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_device SET last_connected_date = last_connected_date"
            " - interval '1 day' WHERE id = ANY(%s)",
            [ids],
        )
        cursor.execute(
            "UPDATE reports_archive SET last_completed_backup_date = last_completed_backup_date"
            " - interval '1 day', last_activity = last_activity - interval '1 day'"
            " WHERE device_id = ANY(%s)",
            [ids],
        )


def main() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM reports_device WHERE id % 62 = 0")
        ids = [pk for (pk,) in cursor.fetchall()]
        if "checkpoint" in sys.argv[1:]:
            cursor.execute("CHECKPOINT")
    with transaction.atomic(), connection.cursor() as cursor:
        if "move" in sys.argv[1:]:
            move_dates(ids)
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (before,) = cursor.fetchone()
        start = time.perf_counter()
        with connection.execute_wrapper(timing(0.05)):
            read_model_sql.refresh_devices(ids)
        took = time.perf_counter() - start
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [before])
        wal = float(cursor.fetchone()[0]) / 1e6
        print(f"refresh_devices: {len(ids)} devices: {took:.2f} s, {wal:,.0f} MB of WAL")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
