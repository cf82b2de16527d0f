"""What the steps of the import by the database share: the staging tables' names, the
report as staged, and how a table and its columns are named in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, models

from accounts.models import Org
from reports.importing import delta
from reports.importing.changes import Table
from reports.importing.csv_file import CsvFile
from reports.importing.report_csv import COLUMNS
from reports.models import Archive, Device

RAW = delta.RAW  # the file's cells as text, a column per header cell, and their keys
ROWS = "import_rows"  # the cells read into values, a column per known field
TOUCHED = "import_touched"  # devices whose report rows the writes change
ARCHIVE_TABLE = Archive._meta.db_table
DEVICE_TABLE = Device._meta.db_table
ORG_TABLE = Org._meta.db_table


def staged(table: Table) -> str:
    return f"import_{table.label}"


def diff(table: Table) -> str:
    return f"import_{table.label}_diff"


# Part of a snapshot's layout: a change to how cells are read or records hashed makes
# the next sync read every record again (reports.importing.delta).
READING = 3


@dataclass
class StagedReport:
    """The report, read into the database's staging tables (what ParsedReport is in Python)."""

    records: int
    layout: str  # the columns' places in the file, and READING
    fields: list[Field]
    uids: dict[str, str]  # label -> the raw column of that table's uid
    columns: dict[str, list[str]] = field(default_factory=dict)  # label -> staged fields
    # Read as the difference from the last mirror import (reports.importing.delta); None
    # when every record was read.
    delta: delta.Delta | None = None
    gone: dict[str, int] = field(default_factory=dict)  # delta.mark_gone's counts
    listed: dict[str, int] = field(default_factory=dict)  # label -> rows the file lists
    # Of a delta: people here whom the last file did not list and this one does.
    returning: int = 0
    # Each record's hash is known and its uid cells plain (cells._read_the_rest): the file
    # can be read as a delta, and be the next one's snapshot.
    keyed: bool = False
    # Strangers' accounts that give the file's people their usernames (accounts.sso.strangers).
    strangers: dict[int, str] = field(default_factory=dict)


class NotStaged(Exception):
    """The database did not take the file as it is: the Python path reads it instead."""


class ReadAll(Exception):
    """The delta cannot stand in for reading every record (reports.importing.delta)."""


def is_data_error(error: Exception) -> bool:
    import psycopg
    from django.db import DataError

    return isinstance(error, DataError | psycopg.DataError | psycopg.errors.BadCopyFileFormat)


@dataclass(frozen=True)
class Field:
    """A column of the file read into one field of one table."""

    column: str  # the vendor's name: "lastConnectedDate"
    table: Table
    name: str  # the model field: "last_connected_date"
    raw: str  # its text column in RAW: "c29"

    @property
    def model_field(self) -> models.Field:
        return self.table.model._meta.get_field(self.name)

    @property
    def staged(self) -> str:
        """Its column in ROWS."""
        return f"{self.table.label}__{self.name}"


def fields_of(csv_file: CsvFile) -> list[Field]:
    """The file's columns that the report reads, each with its text column in RAW."""
    return [
        Field(column, table, name, f"c{csv_file.columns[column]}")
        for column, (table, name) in COLUMNS.items()
        if column in csv_file.columns
    ]


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def db_table(table: Table) -> str:
    return quoted(table.model._meta.db_table)


def db_column(table: Table, name: str) -> str:
    return quoted(table.model._meta.get_field(name).column)
