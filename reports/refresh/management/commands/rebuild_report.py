import time

from django.core.management.base import BaseCommand

from reports import read_model
from reports.refresh.command_line import record
from reports.refresh.log import describe, recorded
from reports.refresh.models import Run


class Command(BaseCommand):
    help = (
        "Rebuild the flat report table from the environment tables. Pages and the API"
        " keep showing the old rows until it is done."
    )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        audited = {"target": "the report table", "command": "rebuild_report"}
        try:
            with recorded(Run.Kind.REBUILD, "the environment tables") as run:
                count = read_model.rebuild()
                run.created = count
                run.summary = f"Rebuilt {count:,} report rows."
        except BaseException as error:
            record("report.rebuilt", outcome="failed", error=describe(error), **audited)
            raise
        record("report.rebuilt", outcome="succeeded", rows=count, **audited)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {count:,} report rows in {elapsed:.1f} s."))
