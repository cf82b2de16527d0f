"""python manage.py invite_users [USERNAME ...] [--without-password] [--org ORG_UID]
[--dry-run]: email a set-password link to each chosen user (accounts.invitations)."""

from smtplib import SMTPException

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from accounts import audit
from accounts.invitations import send_invitations, why_not_invited
from accounts.models import MAY_SIGN_IN, Org


class Command(BaseCommand):
    help = (
        "Email the chosen users a link to set their password (it works once, for "
        "INVITATION_DAYS). Choose by username, by org subtree (--org), or everyone "
        "without a password (--without-password); the choices narrow each other."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="*")
        parser.add_argument(
            "--without-password",
            action="store_true",
            help="only users with no usable password (those the import or sync made)",
        )
        parser.add_argument("--org", help="only users of this org (orgUid) and the orgs below it")
        parser.add_argument("--dry-run", action="store_true", help="list who, send nothing")

    def handle(self, *args, usernames, without_password, org, dry_run, **options) -> None:
        if not (usernames or without_password or org):
            raise CommandError("Choose whom to invite: usernames, --without-password or --org.")
        # Only who may sign in: not deactivated here, nor by the vendor (MAY_SIGN_IN).
        users = get_user_model().objects.filter(MAY_SIGN_IN).order_by("username")
        if usernames:
            users = users.filter(username__in=usernames)
            missing = set(usernames) - set(users.values_list("username", flat=True))
            if missing:
                names = ", ".join(sorted(missing))
                raise CommandError(
                    f"No user who may sign in with the username(s): {names} (deactivated "
                    "here or at the vendor, or no such user)."
                )
        if org:
            subtree = Org.objects.filter(org_uid=org).first()
            if subtree is None:
                raise CommandError(f"No org with the orgUid {org!r}.")
            users = users.filter(org__in=Org.objects.subtree_of(subtree))
        if without_password:
            # Django marks an unusable password with a leading "!"; an empty one is unusable too.
            users = users.filter(Q(password="") | Q(password__startswith="!"))
        if dry_run:
            for user in users.iterator():
                why = why_not_invited(user)
                self.stdout.write(f"{user.username}: " + (f"skipped, {why}" if why else user.email))
            return
        try:
            # Each event names the OS user who ran it and says where it came from, as
            # assign_role's do: sent by the command, they named no actor and no way, as
            # if nobody had sent them (found by an audit).
            with audit.by_command("the invite_users command"):
                sent = send_invitations(users.iterator())
        except (SMTPException, OSError) as error:
            raise CommandError(f"Sending stopped, the mail server refused: {error}") from error
        self.stdout.write(sent.summary())
