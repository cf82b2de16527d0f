"""Roles for many users at once (spec section 4): the admin's actions on a filtered user
list, and `assign_role --csv` for the thousands of managers of a large fleet.

A CSV names one user a line, by username or email address (case-insensitive), and a
role: every line is read and checked before anything is written, and the roles are then
given (or taken) in one transaction, so a bad file changes nobody.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.functions import Lower

from accounts import audit
from accounts.roles import ROLE_GROUPS
from accounts.sso.models import roles_by_hand

BATCH = 1000  # rows a statement, well under SQLite's and PostgreSQL's parameter limits
LISTED = 100  # usernames an audit event names (the count is always whole)


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def give(group_name: str, user_ids: Iterable[int]) -> None:
    """Put these users in the role's group (those already in it stay as they are).
    Written in bulk, past Django's m2m signals: recorded here, one event a role, of the
    users it was given to (giving a role someone has is no event, 2026-12-06)."""
    group, _ = Group.objects.get_or_create(name=group_name)
    Membership = get_user_model().groups.through
    given = []
    for chunk in _chunks(sorted(set(user_ids))):
        members = Membership.objects.filter(group=group, user_id__in=chunk)
        had = set(members.values_list("user_id", flat=True))
        new = [user_id for user_id in chunk if user_id not in had]
        Membership.objects.bulk_create(
            [Membership(user_id=user_id, group_id=group.pk) for user_id in new],
            ignore_conflicts=True,  # became a member meanwhile
        )
        given += new
        roles_by_hand(chunk, [group_name])
    _record("role.given", group_name, given)


def take(group_name: str, user_ids: Iterable[int]) -> None:
    """Take the role from these users; recorded of those who had it."""
    Membership = get_user_model().groups.through
    taken = []
    for chunk in _chunks(sorted(set(user_ids))):
        members = Membership.objects.filter(group__name=group_name, user_id__in=chunk)
        taken += sorted(set(members.values_list("user_id", flat=True)))
        members.delete()
        roles_by_hand(chunk, [group_name])
    _record("role.taken", group_name, taken)


def _record(kind: str, group_name: str, user_ids: list[int]) -> None:
    if not user_ids:
        return
    names = get_user_model().objects.filter(pk__in=user_ids[:LISTED])
    listed = sorted(names.values_list("username", flat=True))
    target = listed[0] if len(user_ids) == 1 else f"{len(user_ids)} users"
    audit.record(kind, target=target, role=group_name, users=len(user_ids), usernames=listed)


class CsvError(ValueError):
    """What is wrong with a role CSV: every bad line, each named by its number."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:20]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(
            "Nothing was changed. Fix these lines and run again:\n" + "\n".join(shown) + more
        )


@dataclass(frozen=True)
class Assignment:
    line: int
    user_id: int
    role: str  # a key of ROLE_GROUPS


HEADER_WORDS = {"username", "email", "user", "login"}


def read_assignments(lines: Iterable[str]) -> list[Assignment]:
    """The (user, role) pairs of a CSV of `username or email,role` lines, or CsvError
    naming every line that is wrong. A first line whose first cell is a header word
    (username, email, user, login) is a header; blank lines are skipped."""
    wanted: list[tuple[int, str, str]] = []
    problems: list[str] = []
    try:
        for number, row in enumerate(csv.reader(lines), start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if number == 1 and cells[0].lower() in HEADER_WORDS:
                continue
            if len(cells) != 2 or not cells[0] or not cells[1]:
                problems.append(
                    f"line {number}: expected 2 cells (username or email, role), got {row!r}"
                )
                continue
            name, role = cells
            if role not in ROLE_GROUPS:
                problems.append(
                    f"line {number}: unknown role {role!r}; use one of {', '.join(ROLE_GROUPS)}"
                )
                continue
            wanted.append((number, name, role))
    except (csv.Error, UnicodeDecodeError) as error:
        raise CsvError([f"the file cannot be read as CSV in UTF-8: {error}"]) from error
    users = _users_named([name for _, name, _ in wanted])
    assignments = []
    for number, name, role in wanted:
        found = users[name]
        if not found:
            problems.append(f"line {number}: no user with the username or email {name!r}")
        elif len(found) > 1:
            problems.append(
                f"line {number}: {name!r} is the email of {len(found)} users "
                f"({', '.join(sorted(found.values()))}): name one by username"
            )
        else:
            assignments.append(Assignment(number, next(iter(found)), role))
    if problems:
        raise CsvError(problems)
    return assignments


def _users_named(names: list[str]) -> dict[str, dict[int, str]]:
    """{name: {user id: username}} for each name that is a username (exactly, as sign-in
    reads it) or else an email address (case-insensitive; more than one user may share
    one). A batch of names a query."""
    User = get_user_model()
    found: dict[str, dict[int, str]] = {}
    for chunk in _chunks(sorted(set(names))):
        for pk, username in User.objects.filter(username__in=chunk).values_list("pk", "username"):
            found[username] = {pk: username}
    by_email: dict[str, dict[int, str]] = {}
    unresolved = sorted({name.lower() for name in names if name not in found})
    emails = User.objects.annotate(email_lower=Lower("email"))
    for chunk in _chunks(unresolved):
        rows = emails.filter(email_lower__in=chunk).values_list("pk", "username", "email_lower")
        for pk, username, email in rows:
            by_email.setdefault(email, {})[pk] = username
    for name in names:
        if name not in found:
            found[name] = by_email.get(name.lower(), {})
    return found


def apply(assignments: list[Assignment], *, remove: bool = False) -> dict[str, int]:
    """Give (or take) every role of the file in one transaction: {role: users}."""
    by_role: dict[str, set[int]] = {}
    for assignment in assignments:
        by_role.setdefault(assignment.role, set()).add(assignment.user_id)
    with transaction.atomic():
        for role, user_ids in by_role.items():
            (take if remove else give)(ROLE_GROUPS[role], user_ids)
    return {role: len(user_ids) for role, user_ids in by_role.items()}
