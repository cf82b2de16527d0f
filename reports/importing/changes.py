"""What an import changes in one table, and writing just that in bulk.

A file's rows are compared with the database field by field before anything is
written, so a row that says what the database already holds is never written: the
second import of a file reports "0 created, 0 updated". Foreign keys are compared by
the related row's uid, the name a file knows it by.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, models

from reports import bulk
from reports.importing import mass_removal
from reports.importing.access_changes import AccessChanges
from reports.importing.updates import update_rows

WRITE_BATCH = 1000
LOAD_ALL_SHARE = 0.5


def chunks(items: list, size: int | None = None) -> Iterator[list]:
    """Slices small enough for one `IN (...)` on every backend (SQLite allows 999)."""
    size = size or connection.features.max_query_params or 5000
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Table:
    label: str  # plural, for the summary: "devices"
    model: type[models.Model]
    uid: str  # the field the file identifies a row by
    # Foreign keys the file gives as the related row's uid: field name -> that table.
    references: dict[str, Table] = field(default_factory=dict)
    # Values a new row needs that no file gives (a user's unusable password).
    new_row_extras: Callable[[], dict] = dict

    def lookup(self, name: str) -> str:
        """The values_list() path of a field, foreign keys as the related uid."""
        reference = self.references.get(name)
        return f"{name}__{reference.uid}" if reference else name


@dataclass
class Changes:
    table: Table
    created: dict[str, dict]  # uid -> values
    updated: dict[str, tuple[int, dict]]  # uid -> (pk, values)
    unchanged: int
    pks: dict[str, int]  # uid -> pk, of the rows the file names that exist already
    old: dict[str, dict] = field(default_factory=dict)  # uid -> values before, if updated
    # Rows the file does not list, removed by a mirror import (reports.importing.mirror);
    # None when the import keeps them, as a plain import does.
    removed: int | None = None

    @property
    def fields(self) -> list[str]:
        sample = next(iter(self.created.values()), None) or next(iter(self.updated.values()))[1]
        return list(sample)

    def summary(self) -> str:
        removed = "" if self.removed is None else f"{self.removed:,} removed, "
        return (
            f"{self.table.label}: {len(self.created):,} created, "
            f"{len(self.updated):,} updated, {removed}{self.unchanged:,} unchanged"
        )


def compare(table: Table, incoming: dict[str, dict]) -> Changes:
    """Sort the file's rows into new, changed and unchanged. Every row has the same keys."""
    names = [name for name in next(iter(incoming.values()), {}) if name != table.uid]
    changes = Changes(table, created={}, updated={}, unchanged=0, pks={})
    existing = _existing(table, names, list(incoming))
    for uid, values in incoming.items():
        found = existing.get(uid)
        if found is None:
            changes.created[uid] = values
            continue
        pk, *before = found
        changes.pks[uid] = pk
        if before == [values[name] for name in names]:
            changes.unchanged += 1
        else:
            changes.updated[uid] = (pk, values)
            changes.old[uid] = dict(zip(names, before, strict=True))
    return changes


def _existing(table: Table, names: list[str], uids: list[str]) -> dict[str, tuple]:
    """uid -> (pk, *values of names) of the rows these uids name that exist."""
    lookups = [table.lookup(name) for name in names]
    rows = table.model.objects.order_by()
    # Measured at 100,000 rows: 5,000 uids a query spend more time in building and
    # parsing SQL than in reading the table; past half the table, read it whole.
    if len(uids) > LOAD_ALL_SHARE * rows.count():
        wanted = set(uids)
        return {
            uid: (pk, *values)
            for pk, uid, *values in rows.values_list("pk", table.uid, *lookups).iterator()
            if uid in wanted
        }
    existing = {}
    for part in chunks(uids):
        subset = rows.filter(**{f"{table.uid}__in": part})
        for pk, uid, *values in subset.values_list("pk", table.uid, *lookups):
            existing[uid] = (pk, *values)
    return existing


class Writer:
    """Writes Changes in dependency order, turning uids into primary keys as it goes."""

    def __init__(self) -> None:
        self.pks: dict[str, dict[str, int]] = {}  # table label -> uid -> pk

    def write(self, changes: Changes) -> None:
        table = changes.table
        if changes.updated:
            names = [name for name in changes.fields if name != table.uid]
            attnames = [f"{n}_id" if n in table.references else n for n in names]
            rows = (
                (pk, *(self._resolve(table, name, values[name]) for name in names))
                for pk, values in changes.updated.values()
            )
            update_rows(table.model, attnames, rows)
        pks = dict(changes.pks)
        if changes.created:
            self._create(table, changes.created.values())
            pks.update(pks_of(table, list(changes.created)))
        self.pks[table.label] = pks

    def _resolve(self, table: Table, name: str, value):
        """A foreign key's uid -> the related row's pk; any other value as it is."""
        reference = table.references.get(name)
        if reference is None or value is None:
            return value
        return self.pks[reference.label][value]

    def _create(self, table: Table, rows: Iterable[dict]) -> None:
        # Plain tuples through reports.bulk (COPY on PostgreSQL): building a model
        # instance a row was half the time of a 100,000-row import. Every column gets
        # its model default unless the file gives it, as Model() would.
        fields = [f for f in table.model._meta.concrete_fields if not f.primary_key]
        attnames = [f.attname for f in fields]
        defaults = {f.attname: f.get_default() for f in fields}

        def as_tuple(values: dict) -> tuple:
            row = dict(defaults)
            for name, value in (values | table.new_row_extras()).items():
                attname = f"{name}_id" if name in table.references else name
                row[attname] = self._resolve(table, name, value)
            return tuple(row[attname] for attname in attnames)

        bulk.insert(table.model, attnames, map(as_tuple, rows))


def pks_of(table: Table, uids: list[str]) -> dict[str, int]:
    """uid -> pk of rows just created: asked back, as not every backend returns keys."""
    pks: dict[str, int] = {}
    for part in chunks(uids):
        rows = table.model.objects.filter(**{f"{table.uid}__in": part}).order_by()
        pks.update(rows.values_list(table.uid, "pk"))
    return pks


class Timings(dict):
    """Seconds per phase of an import, for `-v 2` and the benchmark."""

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self[phase] = self.get(phase, 0.0) + time.monotonic() - started

    def line(self) -> str:
        return "Seconds: " + ", ".join(f"{phase} {took:.1f}" for phase, took in self.items())


@dataclass
class Outcome:
    """What an import did, or would do on a dry run, for the command to print."""

    file: str
    records: int
    changes: list[Changes]
    dry_run: bool
    notes: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    # What a whole-fleet import removes, against the fleet here (reports.importing.
    # mass_removal); None for an import that removes nothing.
    removal: mass_removal.Removal | None = None
    # When the source's data was taken (the export's time), if the caller knows: what the
    # run log keeps as the data's age (reports.refresh.log).
    exported_at: dt.datetime | None = None
    # Whose access the import ended or gave back (reports.importing.access_changes).
    access: AccessChanges = field(default_factory=AccessChanges)

    def audited(self) -> dict:
        """What the audit event of the run says of it: the rows, and whose access it
        ended or gave back."""
        return self.totals() | self.access.audited()

    def totals(self) -> dict[str, int]:
        """Rows of every table summed, as the run log keeps them."""
        return {
            "created": sum(len(c.created) for c in self.changes),
            "updated": sum(len(c.updated) for c in self.changes),
            "removed": sum(c.removed or 0 for c in self.changes),
            "unchanged": sum(c.unchanged for c in self.changes),
        }

    @property
    def changed(self) -> bool:
        """Whether the import writes anything at all."""
        counts = self.totals()
        return bool(counts["created"] or counts["updated"] or counts["removed"])

    def lines(self) -> list[str]:
        counts = self.totals()
        removed = f"{counts['removed']:,} removed, " if self._mirror else ""
        totals = (
            f"{counts['created']:,} created, {counts['updated']:,} updated, "
            f"{removed}{counts['unchanged']:,} unchanged"
        )
        lines = [f"{self.file}: {self.records:,} rows read."]
        lines += [f"  {changes.summary()}" for changes in self.changes]
        if self.dry_run:
            lines.append(f"Dry run, nothing written. Would be: {totals}.")
            if self.removal is not None and self.removal.needs_confirmation:
                lines.append(
                    f"It would remove {self.removal}: {mass_removal.limit_text()}, which "
                    f"happens only with {mass_removal.OVERRIDE}."
                )
        else:
            lines.append(f"Imported: {totals}.")
        return lines + self.notes

    @property
    def _mirror(self) -> bool:
        return any(c.removed is not None for c in self.changes)
