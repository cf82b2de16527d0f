"""PostgreSQL: the vendor's report imported by the database itself (issue 29).

At a million devices reading the file in Python, comparing in Python and writing the
difference took minutes of both cores; PostgreSQL's COPY of the same file takes
seconds. So on PostgreSQL:

- stage(): the file goes in by COPY, every cell as text, into a temporary table that
  keeps each record's number (`rec`, its order in the file: the last row naming a uid
  gives its values, as in Python). Each cell is then turned into its field's value by
  SQL where the cell has the form the vendor writes (an ISO date with Z, plain digits,
  a word of the choices, text with nothing to strip); a record with any other cell (a
  legacy date, a name starting with an accent, a `'=` defused formula) is read by the
  very parsers of the Python path (reports.importing.values), a record at a time, and
  its values written back. So both paths read every cell alike. Then one row a uid
  per table, as set operations.
- compare() and write(): the differences with each table found by one join a table,
  kept in a temporary table of the changed rows, then written by one UPDATE ... FROM
  and one INSERT ... SELECT; the devices whose report rows change are gathered in SQL.

Anything wrong with the file (not CSV as PostgreSQL reads it, a cell no parser takes, a
required cell missing, a username twice) stops the staging and the file is read again
by the Python path (reports.importing.report_csv), which names the file, line and
column of every bad cell exactly as before: a bad file costs that second reading, a
good one never does. Nothing is written until apply time, inside the import's one
transaction, so a failure there leaves the data as it was.

The temporary tables live in the session from stage() to the end of the import (drop()).
The steps, a module each: staging (COPY, the staging tables, the snapshot), cells (each
cell read into its value), comparing, writing; tables holds what they share.
SQLite keeps the Python path; tests/test_import_in_database.py holds both paths to the
same result on the same file.
"""

from reports.importing.in_database.comparing import compare, find_unlisted, take_tree_names
from reports.importing.in_database.staging import confirm, drop, remember, stage
from reports.importing.in_database.tables import TOUCHED, StagedReport, diff
from reports.importing.in_database.writing import write

__all__ = [
    "TOUCHED",
    "StagedReport",
    "compare",
    "confirm",
    "diff",
    "drop",
    "find_unlisted",
    "remember",
    "stage",
    "take_tree_names",
    "write",
]
