"""The vendor's DeviceBackupReport CSV: which column feeds which table and field, and
reading every row into values per table, checked cell by cell.

Each row names an org, a user and a device, and, when its archiveGuid is not empty,
an archive with its destination and server. A uid seen on several rows takes the
values of its last row. Foreign keys are kept as the related row's uid.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import models

from accounts.models import User
from reports.importing import values
from reports.importing.changes import Table
from reports.importing.csv_file import CsvFile, ImportFailed, Record, RowErrors
from reports.importing.orgs import ORGS
from reports.models import Archive, Destination, Device, Server
from reports.row import VENDOR_CSV_HEADER

DESTINATIONS = Table("destinations", Destination, "destination_uid")
SERVERS = Table("servers", Server, "server_uid", {"destination": DESTINATIONS})


def unusable_password() -> dict:
    """A person from the vendor's console cannot log in until someone sets a password.

    What make_password(None) makes, a prefix and random text, at one system call
    instead of forty: it was a tenth of a 100,000-row import.
    """
    return {"password": UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)}


USERS = Table("users", User, "user_uid", {"org": ORGS}, new_row_extras=unusable_password)
DEVICES = Table("devices", Device, "device_uid", {"user": USERS})
ARCHIVES = Table(
    "archives",
    Archive,
    "archive_guid",
    {"device": DEVICES, "destination": DESTINATIONS, "server": SERVERS},
)
TABLES = (ORGS, DESTINATIONS, SERVERS, USERS, DEVICES, ARCHIVES)  # the order of writing

# Vendor column -> (table, field). The first 34 must be there; the rest are read if so.
COLUMNS: dict[str, tuple[Table, str]] = {
    "archiveGuid": (ARCHIVES, "archive_guid"),
    "orgUid": (ORGS, "org_uid"),
    "orgName": (ORGS, "name"),
    "orgExtRef": (ORGS, "ext_ref"),
    "userUid": (USERS, "user_uid"),
    "username": (USERS, "username"),
    "email": (USERS, "email"),
    "userExtRef": (USERS, "user_ext_ref"),
    "deviceUid": (DEVICES, "device_uid"),
    "deviceName": (DEVICES, "name"),
    "deviceOsHostname": (DEVICES, "os_hostname"),
    "deviceExtRef": (DEVICES, "ext_ref"),
    "destinationUid": (DESTINATIONS, "destination_uid"),
    "destinationName": (DESTINATIONS, "name"),
    "serverUid": (SERVERS, "server_uid"),
    "serverName": (SERVERS, "name"),
    "version": (DEVICES, "version"),
    "status": (DEVICES, "status"),
    "userStatus": (USERS, "user_status"),
    "alertStates": (DEVICES, "alert_states"),
    "os": (DEVICES, "os"),
    "osVersion": (DEVICES, "os_version"),
    "address": (DEVICES, "address"),
    "remoteAddress": (DEVICES, "remote_address"),
    "creationDate": (DEVICES, "creation_date"),
    "selectedBytes": (ARCHIVES, "selected_bytes"),
    "backupCompletePercentage": (ARCHIVES, "backup_complete_percentage"),
    "archiveBytes": (ARCHIVES, "archive_bytes"),
    "coldStorage": (ARCHIVES, "cold_storage"),
    "lastConnectedDate": (DEVICES, "last_connected_date"),
    "lastCompletedBackupDate": (ARCHIVES, "last_completed_backup_date"),
    "lastActivity": (ARCHIVES, "last_activity"),
    "mostRecentUserProfileCreationResult": (
        ARCHIVES,
        "most_recent_user_profile_creation_result",
    ),
    "mostRecentUserProfileBackupResult": (ARCHIVES, "most_recent_user_profile_backup_result"),
    "firstName": (USERS, "first_name"),
    "lastName": (USERS, "last_name"),
    "coldStorageExpireDate": (ARCHIVES, "cold_storage_expire_date"),
}
# Every row must name these; the archive's are needed only when it has one.
REQUIRED = {"orgUid": ORGS, "userUid": USERS, "username": USERS, "deviceUid": DEVICES}


def parser_for(table: Table, name: str):
    """How a cell becomes this field's value: the model field's type says."""
    model_field = table.model._meta.get_field(name)
    if isinstance(model_field, models.DateTimeField):
        return values.datetime
    if isinstance(model_field, models.BooleanField):
        return values.boolean
    if isinstance(model_field, models.FloatField):
        return values.percentage
    if isinstance(model_field, models.IntegerField):
        return values.byte_count
    if name == table.uid:
        return values.uid_of(model_field.max_length)
    if name == "alert_states":
        return values.alert_states_of(model_field.max_length)
    if model_field.choices:
        return values.choice(tuple(value for value, _ in model_field.choices))
    return values.text_of(model_field.max_length)


@dataclass
class ParsedReport:
    records: int = 0
    rows: dict[str, dict[str, dict]] = field(default_factory=lambda: {t.label: {} for t in TABLES})
    username_lines: dict[str, int] = field(default_factory=dict)  # userUid -> line
    # Strangers' accounts that give the file's people their usernames (accounts.sso.strangers).
    strangers: dict[int, str] = field(default_factory=dict)


def parse(csv_file: CsvFile) -> ParsedReport:
    """Read and check every row; raises ImportFailed at the first bad cell (or, for a
    file opened with every_error, FileErrors once all are read)."""
    report = ParsedReport()
    read_row = None
    for record in csv_file.records(required=VENDOR_CSV_HEADER):
        read_row = read_row or RowReader(csv_file)
        try:
            _add_row(csv_file, report, record, read_row(record))
        except ImportFailed as error:
            csv_file.reject(error)
            continue
        report.records += 1
    _check_usernames_are_unique(csv_file, report)
    csv_file.check()
    return report


class RowReader:
    """One record -> a dict of field values per table, for the columns the file has."""

    def __init__(self, csv_file: CsvFile) -> None:
        self.csv_file = csv_file
        self.cells = [  # (column, index, table label, field, parser), in column order
            (column, csv_file.columns[column], table.label, name, parser_for(table, name))
            for column, (table, name) in COLUMNS.items()
            if column in csv_file.columns
        ]
        self.tables = {
            table.label: [
                (i, name, parse) for _, i, label, name, parse in self.cells if label == table.label
            ]
            for table in TABLES
        }

    def __call__(self, record: Record) -> dict[str, dict]:
        cells = record.cells
        try:
            # Comprehensions, not a loop with a try per cell: 3.7 million cells a
            # 100,000-row file, and this was a third of the import's time.
            return {
                label: {name: parse(cells[index]) for index, name, parse in fields}
                for label, fields in self.tables.items()
            }
        except values.CellError:
            raise self._bad_cells(record) from None

    def _bad_cells(self, record: Record) -> RowErrors:
        """Each bad cell of a row, a required one left empty too: a preview named its
        first alone, and a row with two bad cells needed two uploads to mend (found by
        an audit)."""
        errors = []  # (the cell's place in the file, its error)
        for column, index, _, _, parse in self.cells:
            try:
                value = parse(record.cells[index])
            except values.CellError as error:
                errors.append((index, self.csv_file.error(record, column, str(error))))
                continue
            if column in REQUIRED and not value:
                errors.append((index, _missing(self.csv_file, record, column)))
        assert errors, "a cell failed, then did not"
        # In the file's order (self.cells is in the vendor's), as _add_row names them.
        return RowErrors([error for _, error in sorted(errors, key=lambda found: found[0])])


def _missing(csv_file: CsvFile, record: Record, column: str) -> ImportFailed:
    return csv_file.error(record, column, f"{column} is missing; every row needs one")


def _add_row(csv_file: CsvFile, report: ParsedReport, record: Record, row: dict) -> None:
    missing = [  # in the file's order, as _bad_cells names them
        _missing(csv_file, record, column)
        for column in sorted(REQUIRED, key=csv_file.columns.__getitem__)
        if not row[REQUIRED[column].label][COLUMNS[column][1]]
    ]
    if missing:
        raise RowErrors(missing)
    org, user, device = row["orgs"], row["users"], row["devices"]
    user["org"] = org["org_uid"]
    device["user"] = user["user_uid"]
    report.rows["orgs"][org["org_uid"]] = org
    report.rows["users"][user["user_uid"]] = user
    report.rows["devices"][device["device_uid"]] = device
    report.username_lines[user["user_uid"]] = record.line_of(csv_file.columns["username"])

    archive = row["archives"]
    if not archive["archive_guid"]:
        return  # a device that has not backed up yet
    destination_uid = row["destinations"]["destination_uid"]
    server_uid = row["servers"]["server_uid"]
    if destination_uid:
        report.rows["destinations"][destination_uid] = row["destinations"]
    if server_uid:
        report.rows["servers"][server_uid] = row["servers"] | {"destination": destination_uid}
    archive.update(device=device["device_uid"], destination=destination_uid, server=server_uid)
    if archive["cold_storage"] is None:
        archive["cold_storage"] = False  # the model has no "unknown"
    report.rows["archives"][archive["archive_guid"]] = archive


def _check_usernames_are_unique(csv_file: CsvFile, report: ParsedReport) -> None:
    seen: dict[str, str] = {}
    for user_uid, user in report.rows["users"].items():
        other = seen.setdefault(user["username"], user_uid)
        if other != user_uid:
            line = max(report.username_lines[user_uid], report.username_lines[other])
            message = f'"{user["username"]}" is the username of userUid {other} and {user_uid}'
            csv_file.reject(ImportFailed(csv_file.name, line, "username", message))
