"""Importing real data from CSV files (spec section 6).

Each import reads and checks every row first (`values` parses cells, `csv_file` knows
where each cell is), then compares with the database and writes only the difference,
in bulk and in one transaction (`changes`), then brings the report rows in step
(`report_rows`). `backup_report` reads the vendor's report export; `orgs` the org tree.
"""
