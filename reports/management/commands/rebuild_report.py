import time

from django.core.management.base import BaseCommand

from reports import read_model


class Command(BaseCommand):
    help = "Rebuild the flat report table from the environment tables."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--offline",
            action="store_true",
            help=(
                "Faster on PostgreSQL (the table is indexed after it is filled), but pages"
                " and the API wait until it is done. Without it they keep the old rows."
            ),
        )

    def handle(self, *args, offline: bool = False, **options) -> None:
        started = time.monotonic()
        count = read_model.rebuild(offline=offline)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {count:,} report rows in {elapsed:.1f} s."))
