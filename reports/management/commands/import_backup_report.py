from reports.importing.backup_report import import_backup_report
from reports.importing.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Load a vendor DeviceBackupReport CSV export: create or update orgs, users, "
        "devices, destinations, servers and archives by their uid."
    )
    file_help = "the CSV export"
    importer = staticmethod(import_backup_report)
