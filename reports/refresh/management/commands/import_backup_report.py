from reports.importing.environment import import_environment
from reports.importing.mass_removal import EVERYTHING, OVERRIDE
from reports.refresh.import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Load a vendor DeviceBackupReport CSV export: create or update orgs, users, "
        "devices, destinations, servers and archives by their uid. With --orgs, the org "
        "tree too, in the same transaction; with --mirror, remove what the files no "
        "longer list."
    )
    file_help = "the CSV export"
    importer = staticmethod(import_environment)

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--orgs",
            metavar="ORGS.csv",
            help="the org tree (orgUid, orgName, orgExtRef, parentOrgUid), imported first",
        )
        parser.add_argument(
            "--mirror",
            action="store_true",
            help=(
                "afterwards the environment equals the files: remove the devices, archives, "
                "servers and destinations the export does not list (and, with --orgs, the "
                "orgs neither file lists that nobody belongs to); people are kept"
            ),
        )
        parser.add_argument(
            OVERRIDE,
            action="store_true",
            dest="allow_mass_removal",
            help=(
                "with --mirror: apply files that remove more than MIRROR_REMOVAL_LIMIT_PERCENT "
                "of the devices, or any org, or list no device at all (refused without it)"
            ),
        )

    def import_options(self, options: dict) -> dict:
        allowed = EVERYTHING if options["allow_mass_removal"] else None
        return {"orgs": options["orgs"], "mirror": options["mirror"], "allowed_removal": allowed}

    def audited_options(self, options: dict) -> dict:
        return {
            "orgs": bool(options["orgs"]),
            "mirror": options["mirror"],
            "allow_mass_removal": options["allow_mass_removal"],
        }

    def files(self, file: str, options: dict) -> list[str]:
        return [file] + ([options["orgs"]] if options["orgs"] else [])
