"""Importing real data from CSV files (spec section 6).

Each import reads and checks every row first (`values` parses cells, `csv_file` knows
where each cell is), then compares with the database and writes only the difference,
in bulk and in one transaction (`changes`, `updates`), then brings the report rows in
step (`report_rows`). `report_csv` and `backup_report` import the vendor's report
export; `orgs` the org tree.

It knows nothing of the run log: reports.refresh records each import it runs
(import_command.py, the jobs, the sync) and what follows one (reports.pipeline).
"""
