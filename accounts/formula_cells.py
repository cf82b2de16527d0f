"""Text a spreadsheet would run as a formula, defused: the one rule of every CSV the
product writes (the report's export, the dashboards' spreadsheets, the storage rollups,
compliance, the audit log). Here, on the bottom floor, so that the audit log (accounts)
and the reports (reports.csv_record) share it.

A cell starting with `=`, `+`, `-`, `@`, tab or carriage return is written with a
leading `'` (spec section 3). A device's name is its user's to choose, and a failed
sign-in's username anyone's: =HYPERLINK(...) came out live from three of those files
(2026-12-06).
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defused(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
