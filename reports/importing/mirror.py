"""Mirror mode: after the import, remove what the source no longer lists (spec section 8).

An import alone never removes anything, so a device deleted at the vendor would stay in
the reports forever. A mirror import makes the environment equal the files:

- archives, devices, servers and destinations the report does not list are removed
  (what the remaining archives refer to is listed, so nothing they need goes);
- with an org tree, orgs neither file lists are removed, unless someone still belongs
  to them or to an org below them: those are kept where they are;
- people are kept. The export lists only people who own a device, and a person here
  may sign in (an org manager, the account a script uses): a person whose last device
  went away keeps their login, their roles and their API clients, and is in no report
  row. A person the vendor deactivated comes as userStatus Deactivated on the rows of
  their devices. Usernames are unique at the vendor too, so when the export gives the
  username of someone here (from the vendor, not listed) to another person, the vendor
  no longer has the first: their username is moved aside ("~departed~<pk>~<name>")
  rather than stop every sync until someone steps in, and their access ends as a
  vendor's deactivation ends it (spec 12).

Archives and devices go by SQL, no signals and no cascades (a signal a row would redo the
report rows of every device one by one); the report rows are then brought in step once.
A model that comes to refer to devices or archives must be cleared here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, models

from accounts.models import Org, User, end_sessions
from reports.importing.changes import Changes, Table, chunks
from reports.importing.mass_removal import Removal
from reports.importing.orgs import ORGS
from reports.importing.report_csv import ARCHIVES, DESTINATIONS, DEVICES, SERVERS, ParsedReport
from reports.importing.updates import update_rows
from reports.models import Archive

# The order of removal: what refers to a row goes before it.
REMOVED_IN_ORDER = (ARCHIVES, DEVICES, SERVERS, DESTINATIONS)


@dataclass
class Unlisted:
    """The rows to remove, by table label, and what is kept although unlisted."""

    pks: dict[str, list[int]] = field(default_factory=dict)
    devices_losing_archives: set[int] = field(default_factory=set)
    # Archives removed of devices it keeps (mass_removal's guard: those of devices it
    # removes go with them, and are counted as devices).
    archives_of_kept: int = 0
    kept_orgs: int = 0
    kept_people: int = 0
    departed: dict[int, tuple[str, str]] = field(default_factory=dict)  # pk -> (name, uid)

    def notes(self, dry_run: bool) -> list[str]:
        notes = []
        if self.kept_orgs:
            verb = "would be kept" if dry_run else "kept"
            notes.append(
                f"Orgs the source does not list but people here belong to: "
                f"{self.kept_orgs:,} {verb}."
            )
        if self.kept_people:
            notes.append(
                f"People the export does not list (they own no device there): "
                f"{self.kept_people:,} kept, with their logins."
            )
        if self.departed:
            verb = "would be moved" if dry_run else "moved"
            names = ", ".join(sorted(name for name, _ in self.departed.values())[:5])
            notes.append(
                f"Usernames the export gives to someone new, {verb} aside from the people "
                f"who had them, whose access ends: {len(self.departed):,} ({names})."
            )
        return notes

    @property
    def released(self) -> set[str]:
        """userUids of the people whose usernames the export may give to others."""
        return {uid for _, uid in self.departed.values()}

    def removal(self, fleet: int, archives_here: int) -> Removal:
        """What removing these takes away, of `fleet` devices and `archives_here` here."""
        return Removal(
            len(self.pks[DEVICES.label]),
            fleet,
            len(self.pks.get(ORGS.label, ())),
            self.archives_of_kept,
            archives_here,
        )

    def devices(self) -> set[int]:
        """The devices whose report rows removing these changes."""
        return set(self.pks.get(DEVICES.label, ())) | self.devices_losing_archives


def find_unlisted(
    report: ParsedReport, tree: dict[str, object] | None, parents: dict[str, str | None]
) -> Unlisted:
    """What a mirror import removes, from the files and the database: the same before
    the import's writes (a dry run) and after them."""
    unlisted = Unlisted()
    for table in REMOVED_IN_ORDER:
        unlisted.pks[table.label] = _unlisted_pks(table, report.rows[table.label])
    archives = unlisted.pks[ARCHIVES.label]
    removed_devices = set(unlisted.pks[DEVICES.label])
    for part in chunks(archives):
        rows = Archive.objects.filter(pk__in=part).order_by()
        owners = list(rows.values_list("device_id", flat=True))
        unlisted.devices_losing_archives.update(owners)
        unlisted.archives_of_kept += sum(1 for pk in owners if pk not in removed_devices)
    listed_users = report.rows["users"]
    unlisted.kept_people = _count_unlisted_people(listed_users)
    unlisted.departed = _departed(listed_users)
    if tree is not None:
        removed, unlisted.kept_orgs = _unlisted_orgs(report, set(tree), parents)
        unlisted.pks[ORGS.label] = removed
    return unlisted


def _unlisted_pks(table: Table, listed: dict[str, dict]) -> list[int]:
    rows = table.model.objects.order_by().values_list("pk", table.uid)
    return [pk for pk, uid in rows.iterator(chunk_size=10_000) if uid not in listed]


def _count_unlisted_people(listed_users: dict[str, dict]) -> int:
    uids = User.objects.exclude(user_uid=None).values_list("user_uid", flat=True)
    return sum(1 for uid in uids.iterator(chunk_size=10_000) if uid not in listed_users)


def _departed(listed_users: dict[str, dict]) -> dict[int, tuple[str, str]]:
    """People from the vendor the export does not list whose username it gives to
    another person: pk -> (username, userUid)."""
    wanted = sorted({user["username"] for user in listed_users.values()})
    departed = {}
    for part in chunks(wanted):
        holders = User.objects.filter(username__in=part).exclude(user_uid=None).order_by()
        for pk, username, uid in holders.values_list("pk", "username", "user_uid"):
            if uid not in listed_users:
                departed[pk] = (username, uid)
    return departed


def free_usernames(unlisted: Unlisted) -> None:
    """Move the departed people's usernames aside; before the report's users are written.
    The vendor no longer has them: their access ends as its deactivation ends it, every
    session, Basic, token and API client (User.may_sign_in). They kept all of it, a
    session and an API client still answered 200 (found by an audit)."""
    limit = User._meta.get_field("username").max_length
    ended = User.Status.DEACTIVATED
    aside = [
        (pk, f"~departed~{pk}~{name}"[:limit], ended) for pk, (name, _) in unlisted.departed.items()
    ]
    update_rows(User, ["username", "user_status"], aside)
    for part in chunks(list(unlisted.departed)):
        end_sessions(User.objects.filter(pk__in=part))


def _unlisted_orgs(
    report: ParsedReport, tree: set[str], parents: dict[str, str | None]
) -> tuple[list[int], int]:
    """(pks of orgs to remove, count of unlisted orgs kept for the people in them)."""
    listed_users = report.rows["users"]
    # Once applied, a listed person is in the org the report gives; anyone else stays.
    peopled = {user["org"] for user in listed_users.values()}
    people = User.objects.exclude(org=None).order_by().values_list("user_uid", "org__org_uid")
    peopled.update(org_uid for user_uid, org_uid in people if user_uid not in listed_users)
    return unlisted_orgs(tree | set(report.rows["orgs"]), peopled, parents)


def unlisted_orgs(
    listed: set[str], peopled: set[str], parents: dict[str, str | None]
) -> tuple[list[int], int]:
    """(pks of orgs to remove, count of unlisted orgs kept): of the orgs neither file
    lists (`listed`), those with no one in them nor below them (`peopled`: the orgs
    people are in once the import is applied)."""
    known = dict(Org.objects.order_by().values_list("org_uid", "pk"))
    unlisted = set(known) - listed
    if not unlisted:
        return [], 0
    keep: set[str] = set()
    for start in peopled | listed:
        node = start
        while node is not None and node not in keep:
            keep.add(node)
            node = parents.get(node)
    return [known[uid] for uid in unlisted - keep], len(unlisted & keep)


def remove(unlisted: Unlisted) -> None:
    """Delete the unlisted rows; inside the import's transaction, after its writes."""
    for table in REMOVED_IN_ORDER:
        _delete(table.model, unlisted.pks[table.label])
    orgs = unlisted.pks.get(ORGS.label)
    if orgs:
        # Through the ORM, deepest first (an org's parent is protected): orgs are few, and
        # the ORM refuses to remove one that something still refers to.
        paths = Org.objects.filter(pk__in=orgs).values_list("pk", "path")
        for pk, _ in sorted(paths, key=lambda row: -row[1].count("/")):
            Org.objects.filter(pk=pk).delete()


def _delete(model: type[models.Model], pks: Iterable[int]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        for part in chunks(list(pks)):
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks})", part)


def count_removed(changes: dict[str, Changes], unlisted: Unlisted) -> None:
    """Say in each table's Changes how many rows the mirror removes."""
    for label, table_changes in changes.items():
        table_changes.removed = len(unlisted.pks.get(label, ()))
