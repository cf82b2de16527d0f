import datetime as dt

from reports.importing.orgs import import_orgs
from reports.refresh.import_command import ImportCommand, taken_at
from reports.refresh.models import Run


class Command(ImportCommand):
    help = (
        "Load the org tree from a CSV with the columns orgUid, orgName, orgExtRef, "
        "parentOrgUid (an empty parent is a top-level org)."
    )
    importer = staticmethod(import_orgs)

    def taken_at(self, paths: list[str], outcome) -> dt.datetime:
        """An org tree says nothing of when the devices last backed up: the data stays as
        old as the last refresh said. A tree written now made "data as of" read now and
        hid days-old device data, and a broken sync, from the stale warning (found by an
        audit of section 8). Before any refresh, as of the file."""
        last = Run.objects.last_refresh()
        return last.data_as_of if last is not None else taken_at(paths, outcome)
