from reports.importing.orgs import import_orgs
from reports.refresh.import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Load the org tree from a CSV with the columns orgUid, orgName, orgExtRef, "
        "parentOrgUid (an empty parent is a top-level org)."
    )
    importer = staticmethod(import_orgs)
