"""Django's PostgreSQL backend, reading timestamps at C speed.

Django reads every `timestamptz` through a loader written in Python (a subclass of
psycopg's pure-Python one, so that it can set the time zone): about 6 µs a value,
against well under 1 µs for psycopg's C loader. A report page holds 700 timestamps and
a rebuild of the report table millions. In a UTC session, which is what Django asks
for with USE_TZ, the C loader gives the very same aware datetimes, so each cursor of
such a session gets it; any other session keeps Django's loader.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from django.db.backends.postgresql import base
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
# The global map's loader: psycopg's C one wherever its C build is installed.
FAST_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if self.timezone == dt.UTC and self._session_in_utc():
            cursor.adapters.register_loader(TIMESTAMPTZ_OID, FAST_TIMESTAMPTZ_LOADER)
        return cursor

    def _session_in_utc(self) -> bool:
        return self.connection.info.parameter_status("TimeZone") == "UTC"

    def fetch_first_row(self, sql: str) -> tuple | None:
        """The first row of a read that is also the request's health check when one is
        due (CONN_HEALTH_CHECKS): Django would send its own `SELECT 1` first, a round
        trip of its own before the read on every request. Outside a transaction only, as
        Django's check runs: a failed read closes the connection, as a failed check
        does, and the read is sent again on a new one."""
        due = (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.in_atomic_block
        )
        if due:
            try:
                with self.connection.cursor() as cursor:  # as is_usable() does: psycopg's own
                    cursor.execute(sql)
                    row = cursor.fetchone()
            except psycopg.Error:
                self.close()
            else:
                self.health_check_done = True
                return row
        with self.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()
