"""Times reports.read_model_sql.rebuild on a fleet, by kind of statement (the rows'
INSERT ... SELECT, the GIN and the B-tree index builds); rolled back, so the fleet stays
as it was. Needs room on disk for a second copy of the report table and its indexes.

    DATABASE_URL=postgres://... .venv/bin/python bench/report_rows_rebuild.py [512MB]

An argument: the maintenance_work_mem the index builds get (the server's otherwise).
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")
sys.path.insert(0, os.getcwd())

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from report_rows_refresh import timing  # noqa: E402  (beside this script)

from reports import read_model_sql  # noqa: E402

phases: dict[str, float] = {}


def kind(sql: str) -> str:
    words = sql.split()
    if "USING gin" in sql:
        return "GIN indexes"
    if words[0] in ("CREATE", "ALTER") and ("INDEX" in words[:3] or "ADD" in words):
        return "B-tree indexes and keys"
    return words[0]


def add_up(sql: str, took: float) -> None:
    phases[kind(sql)] = phases.get(kind(sql), 0) + took


def main() -> None:
    with transaction.atomic():
        if sys.argv[1:]:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", sys.argv[1:])
        start = time.perf_counter()
        with connection.execute_wrapper(timing(1, add_up)):
            count = read_model_sql.rebuild()
        took = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute("SHOW maintenance_work_mem")
            (memory,) = cursor.fetchone()
        by_kind = {name: round(seconds, 1) for name, seconds in phases.items() if seconds > 0.5}
        print(f"rebuild (maintenance_work_mem {memory}): {count} rows, {took:.1f} s", by_kind)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
