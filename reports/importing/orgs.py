"""Importing the org tree: a CSV of orgUid, orgName, orgExtRef, parentOrgUid, and
optionally status (Active or Deactivated; without the column an org keeps its own). The
sync writes the vendor's status there: the mirror's orgs kept theirs whatever the
vendor said (2026-12-06).

The vendor's report export carries no tree, so it comes from its own file. Rows may
come in any order; a parent may be in the file or already known. Materialized paths
("/<root pk>/.../<own pk>/", see Org.save) are computed for the whole tree in Python
and written in bulk: one save per org would be 10,000 round trips and re-walk subtrees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Cast, Concat

from accounts import org_paths
from accounts.models import Org
from reports.importing import report_rows, values
from reports.importing.changes import (
    WRITE_BATCH,
    Changes,
    Outcome,
    Table,
    Timings,
    chunks,
    pks_of,
)
from reports.importing.csv_file import CsvFile, ImportFailed, Record
from reports.importing.one_at_a_time import wait_for_other_imports
from reports.importing.updates import update_rows
from reports.models import Device

ORGS = Table("orgs", Org, "org_uid")
COLUMNS = ("orgUid", "orgName", "orgExtRef", "parentOrgUid")
STATUS = "status"  # optional


@dataclass(frozen=True)
class OrgRow:
    org_uid: str
    name: str
    ext_ref: str
    parent_uid: str | None
    line: int
    parent_line: int  # where its parentOrgUid cell is, for errors about the parent
    status: str | None = None  # None: the file says not (no column, or an empty cell)


@dataclass(frozen=True)
class KnownOrg:
    pk: int
    name: str
    ext_ref: str
    parent_id: int | None
    path: str
    status: str


def give_root_paths(org_ids: Iterable[int]) -> None:
    """Paths of orgs just created at the top of the tree: "/<pk>/"."""
    path = Concat(Value("/"), Cast("pk", models.CharField()), Value("/"))
    for part in chunks(list(org_ids)):
        Org.objects.filter(pk__in=part).update(path=path)


def parse(csv_file: CsvFile) -> dict[str, OrgRow]:
    """Read and check every row; raises ImportFailed at the first bad cell (or, for a
    file opened with every_error, FileErrors once all are read)."""
    parsers = {
        "orgUid": values.uid_of(Org._meta.get_field("org_uid").max_length),
        "orgName": values.text_of(Org._meta.get_field("name").max_length),
        "orgExtRef": values.text_of(Org._meta.get_field("ext_ref").max_length),
        "parentOrgUid": values.uid_of(Org._meta.get_field("org_uid").max_length),
    }
    status = values.choice(tuple(Org.Status.values))
    rows: dict[str, OrgRow] = {}
    refused: set[str | None] = set()  # the uids of rows refused, still orgs of the file
    for record in csv_file.records(required=COLUMNS):
        if STATUS in csv_file.columns:  # known once the header is read
            parsers[STATUS] = status
        try:
            row = _org_row(csv_file, record, parsers, rows)
        except ImportFailed as error:
            csv_file.reject(error)
            refused.add(_uid_if_any(record.cells[csv_file.columns["orgUid"]], parsers))
            continue
        rows[row.org_uid] = row
    if csv_file.error_count:
        # A file checked whole names its tree's errors with its cells' (spec 8: every
        # error at once), where they came only once every cell was right.
        known = _known_orgs()
        _reject_unknown_parents(csv_file, rows, known, refused)
        parents = _final_parents(rows, known)
        # A refused row's parent is not known yet: none, lest a cycle it would end be named.
        parents |= {uid: None for uid in refused if uid in parents}
        if cycle := _cycle(csv_file, rows, parents):
            csv_file.reject(cycle)
        csv_file.errors.sort(key=lambda error: error.line or 0)
    csv_file.check()
    return rows


def _uid_if_any(cell: str, parsers: dict) -> str | None:
    try:
        return parsers["orgUid"](cell)
    except values.CellError:
        return None


def _org_row(csv_file: CsvFile, record: Record, parsers: dict, rows: dict[str, OrgRow]) -> OrgRow:
    cells = {}
    for column, parse_cell in parsers.items():
        try:
            cells[column] = parse_cell(record.cells[csv_file.columns[column]])
        except values.CellError as error:
            raise csv_file.error(record, column, str(error)) from None
    org_uid = cells["orgUid"]
    if not org_uid:
        raise csv_file.error(record, "orgUid", "orgUid is missing; every row needs one")
    if org_uid in rows:
        message = f'"{org_uid}" is already on line {rows[org_uid].line}'
        raise csv_file.error(record, "orgUid", message)
    return OrgRow(
        org_uid,
        cells["orgName"],
        cells["orgExtRef"],
        cells["parentOrgUid"],
        line=record.line_of(csv_file.columns["orgUid"]),
        parent_line=record.line_of(csv_file.columns["parentOrgUid"]),
        status=cells.get(STATUS) or None,
    )


def import_orgs(path: str | Path, *, dry_run: bool = False) -> Outcome:
    csv_file = CsvFile(path)
    timings = Timings()
    with timings("read"):
        rows = parse(csv_file)
    with transaction.atomic():
        with timings("wait"):
            wait_for_other_imports()
        tree = apply_tree(csv_file, rows, dry_run=dry_run, timings=timings)
        outcome = Outcome(csv_file.name, len(rows), [tree.changes], dry_run, timings=timings)
        outcome.notes += tree.notes
        if not dry_run:
            with timings("report rows"):
                outcome.notes.append(report_rows.bring_in_step(tree.devices()))
    return outcome


@dataclass
class TreeChanges:
    changes: Changes
    written: set[int]  # orgs whose values or path changed
    parents: dict[str, str | None]  # org uid -> its parent's uid, of every org, once applied
    notes: list[str]

    def devices(self) -> set[int]:
        """The devices whose report rows the writes may have changed."""
        return report_rows.devices_where(Device.objects, "user__org_id", self.written)


def apply_tree(
    csv_file: CsvFile, rows: dict[str, OrgRow], *, dry_run: bool, timings: Timings
) -> TreeChanges:
    """Compare the file's tree with the database and write the difference (unless a dry
    run). Inside the import's transaction, after wait_for_other_imports()."""
    with timings("compare"):
        known = _known_orgs()
        _reject_unknown_parents(csv_file, rows, known)
        csv_file.check()
        parents = _final_parents(rows, known)
        if cycle := _cycle(csv_file, rows, parents):
            raise cycle
        changes = _compare(rows, known, parents)
    with timings("write"):
        pk_of = _stand_in_pks(known, changes) if dry_run else _create(rows, changes)
        pk_of |= {uid: org.pk for uid, org in known.items()}
        paths = _paths(csv_file, rows, parents, pk_of)
        written = _write(rows, known, parents, pk_of, paths, dry_run)
    notes = []
    listed = {pk_of[uid] for uid in chain(changes.created, changes.updated)}
    if repathed := len(written - listed):
        verb = "to redo" if dry_run else "redone"
        notes.append(f"Paths {verb} for {repathed:,} orgs the file does not list.")
    return TreeChanges(changes, set() if dry_run else written, parents, notes)


def _known_orgs() -> dict[str, KnownOrg]:
    # The whole table: moving one org changes the path of everything below it.
    rows = Org.objects.order_by().values_list(
        "org_uid", "pk", "name", "ext_ref", "parent_id", "path", "status"
    )
    return {uid: KnownOrg(*values) for uid, *values in rows}


def _create(rows: dict[str, OrgRow], changes: Changes) -> dict[str, int]:
    """Create the new orgs, parent and path to come; returns their pks by uid."""
    new = [rows[uid] for uid in changes.created]
    Org.objects.bulk_create(
        [
            Org(org_uid=row.org_uid, name=row.name, ext_ref=row.ext_ref, status=_status(row))
            for row in new
        ],
        batch_size=WRITE_BATCH,
    )
    return pks_of(ORGS, list(changes.created))


def _status(row: OrgRow | None, org: KnownOrg | None = None) -> str:
    """An org's status once the file is applied: the file's, else its own."""
    if row is not None and row.status is not None:
        return row.status
    return org.status if org is not None else Org.Status.ACTIVE


def _stand_in_pks(known: dict[str, KnownOrg], changes: Changes) -> dict[str, int]:
    """For a dry run: the keys the new orgs would likely get, so path lengths are checked."""
    next_pk = max((org.pk for org in known.values()), default=0) + 1
    return {uid: next_pk + n for n, uid in enumerate(changes.created)}


def _reject_unknown_parents(
    csv_file: CsvFile,
    rows: dict[str, OrgRow],
    known: dict[str, KnownOrg],
    refused: set[str | None] = frozenset(),
) -> None:
    """Each row whose parent is neither in the file (`refused`: orgs of rows refused for
    another cell) nor known."""
    for row in rows.values():
        parent = row.parent_uid
        if parent is None or parent in rows or parent in known or parent in refused:
            continue
        message = f'unknown parent org "{parent}": not in the file nor known'
        csv_file.reject(ImportFailed(csv_file.name, row.parent_line, "parentOrgUid", message))


def _final_parents(rows: dict[str, OrgRow], known: dict[str, KnownOrg]) -> dict[str, str | None]:
    """org uid -> its parent's uid once the file is applied, for every org (a parent
    neither in the file nor known has none)."""
    uid_of = {org.pk: uid for uid, org in known.items()}
    parents = {uid: uid_of.get(org.parent_id) for uid, org in known.items()}
    for uid, row in rows.items():
        parent = row.parent_uid
        parents[uid] = parent if parent in rows or parent in known else None
    return parents


def _cycle(
    csv_file: CsvFile, rows: dict[str, OrgRow], parents: dict[str, str | None]
) -> ImportFailed | None:
    """The error of the first cycle the parents make, if they make one."""
    done: set[str] = set()
    for start in parents:
        trail: list[str] = []
        node = start
        while node is not None and node not in done:
            if node in trail:
                cycle = trail[trail.index(node) :]
                # The known tree has no cycle, so one of the file's rows closes it.
                culprit = min((rows[uid] for uid in cycle if uid in rows), key=lambda r: r.line)
                at = cycle.index(culprit.org_uid)
                loop = " -> ".join(cycle[at:] + cycle[:at] + [culprit.org_uid])
                message = f"the parents make a cycle: {loop}"
                return ImportFailed(csv_file.name, culprit.parent_line, "parentOrgUid", message)
            trail.append(node)
            node = parents[node]
        done.update(trail)
    return None


def _compare(
    rows: dict[str, OrgRow], known: dict[str, KnownOrg], parents: dict[str, str | None]
) -> Changes:
    uid_of = {org.pk: uid for uid, org in known.items()}
    changes = Changes(ORGS, created={}, updated={}, unchanged=0, pks={})
    for uid, row in rows.items():
        org = known.get(uid)
        values_ = {
            "name": row.name,
            "ext_ref": row.ext_ref,
            "parent": parents[uid],
            "status": _status(row, org),
        }
        if org is None:
            changes.created[uid] = values_
            continue
        changes.pks[uid] = org.pk
        before = {
            "name": org.name,
            "ext_ref": org.ext_ref,
            "parent": uid_of.get(org.parent_id),
            "status": org.status,
        }
        if before == values_:
            changes.unchanged += 1
        else:
            changes.updated[uid] = (org.pk, values_)
            changes.old[uid] = before
    return changes


def _paths(
    csv_file: CsvFile,
    rows: dict[str, OrgRow],
    parents: dict[str, str | None],
    pk_of: dict[str, int],
) -> dict[str, str]:
    """org uid -> its materialized path, each ancestor's path computed once."""
    limit = Org._meta.get_field("path").max_length
    paths: dict[str, str] = {}
    for start in parents:
        trail: list[str] = []
        node = start
        while node is not None and node not in paths:
            trail.append(node)
            node = parents[node]
        path = org_paths.ROOT if node is None else paths[node]
        for uid in reversed(trail):
            path = org_paths.child_path(path, pk_of[uid])
            paths[uid] = path
            if len(path) > limit:
                # Blame the nearest org of the file on the way up: it made the tree deep.
                culprit = uid
                while culprit not in rows:
                    culprit = parents[culprit]
                message = f"the tree is too deep here: a path of {len(path)} characters"
                raise ImportFailed(
                    csv_file.name, rows[culprit].parent_line, "parentOrgUid", message
                )
    return paths


def _write(
    rows: dict[str, OrgRow],
    known: dict[str, KnownOrg],
    parents: dict[str, str | None],
    pk_of: dict[str, int],
    paths: dict[str, str],
    dry_run: bool,
) -> set[int]:
    """Write every org whose values or path differ; returns their pks."""
    changed: list[tuple] = []  # (pk, name, ext_ref, parent_id, path, status)
    for uid, parent_uid in parents.items():
        org = known.get(uid)
        row = rows.get(uid)
        name = row.name if row else org.name
        ext_ref = row.ext_ref if row else org.ext_ref
        parent_id = None if parent_uid is None else pk_of[parent_uid]
        target = (name, ext_ref, parent_id, paths[uid], _status(row, org))
        if org is None or (org.name, org.ext_ref, org.parent_id, org.path, org.status) != target:
            changed.append((pk_of[uid], *target))
    if not dry_run:
        update_rows(Org, ["name", "ext_ref", "parent_id", "path", "status"], changed)
    return {pk for pk, *_ in changed}
