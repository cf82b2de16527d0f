"""python manage.py assign_role USERNAME desktop-user|org-manager|sysadmin [--remove]"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import ROLE_GROUPS


class Command(BaseCommand):
    help = "Give a user a role (spec section 4), or take it away with --remove."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        # Not argparse choices: the error below names the roles in words.
        parser.add_argument("role", help=f"one of {', '.join(ROLE_GROUPS)}")
        parser.add_argument("--remove", action="store_true", help="take the role away")

    def handle(self, *args, username: str, role: str, remove: bool, **options) -> None:
        group_name = ROLE_GROUPS.get(role)
        if group_name is None:
            raise CommandError(f"Unknown role {role!r}; use one of {', '.join(ROLE_GROUPS)}.")
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user with the username {username!r}.") from None
        group, _ = Group.objects.get_or_create(name=group_name)
        if remove:
            user.groups.remove(group)
            self.stdout.write(f"{username} is no longer in {group_name!r}.")
        else:
            user.groups.add(group)
            self.stdout.write(f"{username} is now in {group_name!r}.")
