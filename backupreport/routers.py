"""Report reads from a read replica (DATABASE_REPLICA_URL), everything else from the
primary: the report table is most of the reading and none of the consistency-critical
work (sign-in, roles, imports, jobs), so it is what a replica should take.

The table's generation (reports.cache) is read with its rows, from the replica: a
cached figure is then keyed by the generation of the very data it was computed from.
Read from the primary while the replica lags, a new generation would key figures of
the old rows, and they would stay cached as if current.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"
# By label: migrations hand in historical models, other classes of the same tables.
REPLICA_READ_MODELS = frozenset({"reports.ReportRow", "reports.ReadModelGeneration"})


class ReportReadsFromReplica:
    def db_for_read(self, model, **hints) -> str | None:
        return REPLICA if model._meta.label in REPLICA_READ_MODELS else None

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema
