"""Helpers for the import tests: writing CSV files as the vendor does, running the
commands as an admin would, and snapshots of every table to prove "nothing changed"."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.management import call_command
from django.forms.models import model_to_dict

from accounts.models import Org, User
from reports.models import Archive, Destination, Device, ReportRow, Server
from reports.row import FIELD_NAMES

TABLES = (Org, User, Destination, Server, Device, Archive, ReportRow)


def write_csv(
    path: Path, rows: list[dict], columns=FIELD_NAMES, *, bom: bool = False, newline="\r\n"
) -> Path:
    """Rows of strings (missing keys are empty cells), quoted where needed, as csv does."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator=newline)
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in columns})
    path.write_text(("\ufeff" if bom else "") + out.getvalue(), encoding="utf-8", newline="")
    return path


def run(command: str, path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command(command, str(path), *args, stdout=out)
    return out.getvalue()


def database_snapshot() -> dict[str, list[dict]]:
    """Every row of every table the imports write, by primary key."""
    return {
        model.__name__: [
            model_to_dict(row, fields=[f.name for f in model._meta.concrete_fields])
            for row in model.objects.order_by("pk")
        ]
        for model in TABLES
    }
