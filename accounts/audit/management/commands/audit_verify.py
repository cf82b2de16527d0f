from django.core.management.base import BaseCommand, CommandError

from accounts.audit.chain import first_break


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain from its oldest kept event to the last one "
        "recorded; name the first broken link (exit status 1) if any."
    )

    def handle(self, *args, **options) -> None:
        checked, broken = first_break()
        if broken is not None:
            raise CommandError(f"{broken} ({checked} events before it hold)")
        self.stdout.write(f"The audit chain holds: {checked} events.")
