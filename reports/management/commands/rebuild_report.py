import time

from django.core.management.base import BaseCommand

from reports import read_model


class Command(BaseCommand):
    help = (
        "Rebuild the flat report table from the environment tables. Pages and the API"
        " keep showing the old rows until it is done."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        count = read_model.rebuild()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {count:,} report rows in {elapsed:.1f} s."))
