"""python manage.py assign_role USERNAME desktop-user|org-manager|sysadmin [--remove]
python manage.py assign_role --csv managers.csv [--remove]"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import audit, bulk_roles
from accounts.roles import ROLE_GROUPS


class Command(BaseCommand):
    help = (
        "Give a user a role (spec section 4), or take it away with --remove; or every "
        "user of a CSV file (username or email, role), all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?")
        # Not argparse choices: the error below names the roles in words.
        parser.add_argument("role", nargs="?", help=f"one of {', '.join(ROLE_GROUPS)}")
        parser.add_argument(
            "--csv",
            type=Path,
            help="a CSV file of 'username or email,role' lines (a header line is allowed); "
            "'-' reads standard input",
        )
        parser.add_argument("--remove", action="store_true", help="take the role away")

    def handle(self, *args, **options) -> None:
        # Each event names the OS user who ran it and says where it came from.
        with audit.by_command("the assign_role command"):
            self.assign(**options)

    def assign(self, *, username, role, csv: Path | None, remove: bool, **options) -> None:
        if csv is not None:
            if username or role:
                raise CommandError("Give either USERNAME ROLE or --csv FILE, not both.")
            return self.from_csv(csv, remove)
        if not (username and role):
            raise CommandError("Give USERNAME ROLE, or --csv FILE.")
        group_name = ROLE_GROUPS.get(role)
        if group_name is None:
            raise CommandError(f"Unknown role {role!r}; use one of {', '.join(ROLE_GROUPS)}.")
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user with the username {username!r}.") from None
        if remove:
            bulk_roles.take(group_name, [user.pk])
            self.stdout.write(f"{username} is no longer in {group_name!r}.")
        else:
            bulk_roles.give(group_name, [user.pk])
            self.stdout.write(f"{username} is now in {group_name!r}.")

    def from_csv(self, path: Path, remove: bool) -> None:
        try:
            if str(path) == "-":
                assignments = bulk_roles.read_assignments(sys.stdin)
            else:
                with path.open(encoding="utf-8-sig", newline="") as file:
                    assignments = bulk_roles.read_assignments(file)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        except bulk_roles.CsvError as error:
            raise CommandError(f"{path}: {error}") from error
        done = bulk_roles.apply(assignments, remove=remove)
        verb = "taken from" if remove else "given to"
        for role, count in done.items():
            self.stdout.write(f"{ROLE_GROUPS[role]}: {verb} {count} user(s).")
        if not done:
            self.stdout.write("The file names nobody: nothing changed.")
