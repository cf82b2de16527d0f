"""Django's SQLite backend, case-insensitive beyond ASCII.

SQLite's LIKE folds the case of ASCII letters only, so on Django's own backend
`name__icontains="MÜNCHEN"` does not find München (2026-12-06: the org picker, the
admin's searches, the API's `q`), where PostgreSQL, comparing UPPER() of both sides,
does. Here the case-insensitive lookups (iexact, icontains, istartswith, iendswith)
compare both sides lowered by Python's str.lower, which knows every alphabet: the
same answers on both databases. SQLite is the embedded default for small fleets; the
function runs once a row a lookup touches, as LIKE's scan already does.
"""

from __future__ import annotations

from django.db.backends.sqlite3 import base, operations

from reports.version_order import VERSION_COLLATION, compare_versions

LOWER = "unicode_lower"
CASE_INSENSITIVE = ("iexact", "icontains", "istartswith", "iendswith")


def unicode_lower(text):
    return text.lower() if isinstance(text, str) else text


class DatabaseOperations(operations.DatabaseOperations):
    def lookup_cast(self, lookup_type, internal_type=None):
        cast = super().lookup_cast(lookup_type, internal_type)
        return f"{LOWER}({cast})" if lookup_type in CASE_INSENSITIVE else cast


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    operators = {
        **base.DatabaseWrapper.operators,
        **{lookup: f"LIKE {LOWER}(%s) ESCAPE '\\'" for lookup in CASE_INSENSITIVE},
    }
    pattern_ops = {
        **base.DatabaseWrapper.pattern_ops,
        "icontains": rf"LIKE '%%' || {LOWER}({{}}) || '%%' ESCAPE '\'",
        "istartswith": rf"LIKE {LOWER}({{}}) || '%%' ESCAPE '\'",
        "iendswith": rf"LIKE '%%' || {LOWER}({{}}) ESCAPE '\'",
    }

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.create_function(LOWER, 1, unicode_lower, deterministic=True)
        # Agent versions sort by number (reports.version_order): the collation
        # PostgreSQL has from ICU (migration 0026).
        connection.create_collation(VERSION_COLLATION, compare_versions)
        return connection
