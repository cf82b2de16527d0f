from reports.importing.command import ImportCommand
from reports.importing.orgs import import_orgs


class Command(ImportCommand):
    help = (
        "Load the org tree from a CSV with the columns orgUid, orgName, orgExtRef, "
        "parentOrgUid (an empty parent is a top-level org)."
    )
    importer = staticmethod(import_orgs)
