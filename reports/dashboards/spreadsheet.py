"""A report as it is on screen, for spreadsheets: XLSX (openpyxl) or CSV with a BOM.

One module writes both, for the dashboards' buttons and for the subscriptions'
attachments (reports.notifications.subscriptions). The columns are those of the page's
table (reports.dashboards.tables) as values, not as drawn, then the device's backup
health; the rows are the page's, every one of them, in its sort: one per device in the
per-device view, one per archive otherwise. The vendor's CSV (reports.export) is
another thing and stays as it is.

Memory stays flat whatever the row count: rows are read in chunks; the CSV is streamed
as it is written; openpyxl's write_only mode writes each row out as it comes, and the
XLSX is spooled to disk past SPOOL_BYTES, then streamed to the browser or attached.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import FileResponse, QueryDict, StreamingHttpResponse

from accounts import file_names
from accounts.formula_cells import defused
from accounts.org_names import OrgNames
from accounts.roles import Reach
from reports import clock
from reports.catalog import LAYOUT, REPORTS, SEARCH_FIRST
from reports.dashboards.filters import (
    DEVICES,
    dashboard_query,
    one_row_per_device,
    parameter_errors,
)
from reports.dashboards.os_families import os_words
from reports.dashboards.report_pages import REPORT_PAGES, ReportPage
from reports.health import MISSING_COPY, NEVER_COMPLETED, health_of
from reports.query import InvalidParameters, ReportQuery

FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
SPOOL_BYTES = 4 * 1024 * 1024
CHUNK_ROWS = 2000
CSV_BATCH = 500  # rows a chunk of the streamed CSV
# Drawn from other rows (a device's destinations), not a value of the row itself.
DRAWN_ONLY = ("destinations", "health")  # health: the last column, in words
# The device's, its stalest destination's (spec 11), on a row of any one of its
# archives too: the page's column says so in its title, which a file has not; headed
# "Health", a copy backed up two hours ago read Critical (found by an audit).
HEALTH_HEADER = "Device health"


def _cell(value):
    """A cell as the page shows it: the stalest backup of a device one of whose
    destinations never completed in words, as its column says (left blank, it read as
    never backed up beside the Critical health; found by an audit)."""
    if value == MISSING_COPY:
        return NEVER_COMPLETED
    return value


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: tuple[str, ...]
    fields: tuple[str, ...]  # ReportRow fields, in the headers' order
    rows: QuerySet  # filtered, sorted, within the viewer's reach
    reach: Reach  # the viewer's: an org's name is shown with its path where ambiguous

    def values(self) -> Iterator[list]:
        """Each row's cells, then its device's health."""
        return (values for _, values in self.values_by_device())

    def values_by_device(self) -> Iterator[tuple[int, list]]:
        """Each row's device (its id) and its values(): to count devices, not rows."""
        now = clock.now()
        chunks = self.rows.values_list(*self.fields, "org_path", "device_backup_date", "device_id")
        os_cell = self.fields.index("os") if "os" in self.fields else None
        for batch in _batches(chunks.iterator(chunk_size=CHUNK_ROWS), CHUNK_ROWS):
            org = self._org_cell(batch)
            for *cells, path, health_date, device_id in batch:
                shown = [_cell(c) for c in cells]
                if org is not None:
                    shown[org[0]] = org[1].shown(path, shown[org[0]])
                # The OS as the page and its filter say it, "Windows": the file held the
                # vendor's code, "win" (found by an audit of the pages).
                if os_cell is not None:
                    shown[os_cell] = os_words(shown[os_cell])
                yield device_id, [*shown, health_of(health_date, now).label]

    def _org_cell(self, batch: list[tuple]) -> tuple[int, OrgNames] | None:
        """Where the org's name is, and the names of the batch's orgs, as the page's
        OrgColumn shows them (a bare "IT" of five, 2026-12-06); None: no such column."""
        if "org_name" not in self.fields:
            return None
        paths = (row[len(self.fields)] for row in batch)
        return self.fields.index("org_name"), OrgNames(paths, self.reach)


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def sheet_of(drawn: ReportPage, query: ReportQuery, params: QueryDict, reach: Reach) -> Sheet:
    """What the report page shows for these parameters, as a sheet."""
    per_device = drawn.device_table is not None and query.params.get("view") == DEVICES
    table = drawn.device_table if per_device else drawn.table
    rows = one_row_per_device(query, params) if per_device else query.rows
    columns = [(n, c) for n, c in table.base_columns.items() if n not in DRAWN_ONLY]
    return Sheet(
        title=drawn.report.title,
        headers=(*(str(c.verbose_name) for _, c in columns), HEALTH_HEADER),
        fields=tuple(str(c.accessor) for _, c in columns),
        rows=rows,
        reach=reach,
    )


def report_sheet(
    slug: str, params: QueryDict, user, reach: Reach, shared_by=None
) -> tuple[Sheet, ReportQuery]:
    """The sheet of a report page for this user and reach, and its query (for totals).
    `shared_by`: who sent the parameters (a subscription's view's owner), whose reading
    of an org path above the user's reach stands (reports.dashboards.saved.shared_paths).

    Raises KeyError for no such report, reports.query.InvalidParameters for bad ones and
    for a search without what it looks for (a saved one sent every row in reach)."""
    params = REPORTS[slug].as_asked(params)
    if REPORTS[slug].awaits_search(params):
        raise InvalidParameters({"search": SEARCH_FIRST})
    drawn = REPORT_PAGES[slug]
    query = dashboard_query(params, user, reach, shared_by=shared_by)
    return sheet_of(drawn, query, params, reach), query


def parameters_problem(slug: str, params: QueryDict) -> InvalidParameters | None:
    """What report_sheet raises for these parameters of an offered report, whoever
    asks, or None: read from the parameters alone (filters.parameter_errors), no query
    built, so a saved view's subscribers share one answer."""
    params = REPORTS[slug].as_asked(params)
    if REPORTS[slug].awaits_search(params):
        return InvalidParameters({"search": SEARCH_FIRST})
    errors = parameter_errors(params)
    return InvalidParameters(errors) if errors else None


def _naive_utc(value):
    """XLSX has no time zones: dates are written in UTC, which the header says."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _date_text(value: dt.datetime) -> str:
    # Four digits of year, as strftime's %Y does not write one before 1000.
    return _naive_utc(value).isoformat(" ", "seconds")


def _csv_cell(value) -> str:
    if value is None:
        return ""  # an empty cell, never "None" or "null"
    if isinstance(value, dt.datetime):
        return _date_text(value)
    if isinstance(value, str):
        return defused(value)
    return str(value)


# Excel's dates begin in 1900: openpyxl writes an earlier one as a negative number,
# which Excel shows as ####. It is written as the CSV writes it, as text.
EXCEL_FIRST_YEAR = 1900


def _xlsx_cells(page):
    """A sheet's cell writer. Text as text: openpyxl writes a string starting with "="
    as a formula, which Excel runs (a device named =HYPERLINK(...) was a live link,
    2026-12-06). And the control characters XML 1.0 cannot hold (a device named with a
    BEL or an ESC, which the import keeps) shown as U+FFFD: openpyxl refused the whole
    sheet, a 500, and every XLSX subscription holding the row failed (2026-12-06)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell_of(value):
        if isinstance(value, dt.datetime):
            moment = _naive_utc(value)
            return moment if moment.year >= EXCEL_FIRST_YEAR else _date_text(value)
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(page, value=value)
        cell.data_type = "s"
        return cell

    return cell_of


DATE_HEADERS = ("Last connected", "Last backup", "Stalest backup", "Expires")


def display_headers(sheet: Sheet) -> list[str]:
    return [f"{h} (UTC)" if h in DATE_HEADERS else h for h in sheet.headers]


class Tally:
    """A sheet's rows on their way to a writer, counted, their devices counted by health,
    the first few kept, and cut short past `limit` rows (`overflowed`): a subscription
    learns all it says of the list from the one query that writes it.

    Health is a device's (spec 11): on a list of one row per archive, a device with
    three archives was counted three times, "Critical: 3" of one critical device (found
    by an audit of section 11). Each device is counted once; the ids kept are at most
    `limit`, a subscription's rows."""

    def __init__(self, sheet: Sheet, *, keep: int = 0, limit: int | None = None):
        self.sheet = sheet
        self.keep = keep
        self.limit = limit
        self.rows = 0
        self._devices: dict[str, set[int]] = {}  # by health
        self.first: list[list] = []
        self.overflowed = False

    @property
    def by_health(self) -> dict[str, int]:
        """Devices by health, each once, among the rows counted."""
        return {health: len(ids) for health, ids in self._devices.items()}

    @property
    def devices(self) -> int:
        return sum(self.by_health.values())  # a device has one health

    def __iter__(self) -> Iterator[list]:
        for device_id, values in self.sheet.values_by_device():
            if self.limit is not None and self.rows >= self.limit:
                self.overflowed = True
                return
            self.rows += 1
            self._devices.setdefault(values[-1], set()).add(device_id)
            if len(self.first) < self.keep:
                self.first.append(values)
            yield values


def write_xlsx(sheet: Sheet, out, rows=None) -> None:
    """`rows`: the sheet's values as they come (a Tally); by default all of them.

    openpyxl is imported here, at a process's first spreadsheet, not with the module:
    held by every gunicorn worker, which loads the app whole before serving
    (backupreport.wsgi), it cost each 21 MB for a download few ask for (0.16 s at
    the first; measured 2026-12-08)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet(sheet.title[:31])
    page.append(display_headers(sheet))
    cell_of = _xlsx_cells(page)
    for values in sheet.values() if rows is None else rows:
        page.append([cell_of(v) for v in values])
    book.save(out)


def csv_chunks(sheet: Sheet, rows=None) -> Iterator[bytes]:
    """The CSV in encoded chunks of CSV_BATCH rows: UTF-8 with a byte-order mark, so
    that Excel reads non-ASCII names right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(display_headers(sheet))
    yield "\ufeff".encode() + buffer.getvalue().encode()
    batch = 0
    for values in sheet.values() if rows is None else rows:
        if batch == 0:
            buffer.seek(0)
            buffer.truncate()
        writer.writerow([_csv_cell(v) for v in values])
        batch += 1
        if batch == CSV_BATCH:
            yield buffer.getvalue().encode()
            batch = 0
    if batch:
        yield buffer.getvalue().encode()


def write_csv(sheet: Sheet, out, rows=None) -> None:
    for chunk in csv_chunks(sheet, rows):
        out.write(chunk)


WRITERS = {"xlsx": write_xlsx, "csv": write_csv}


def spooled(sheet: Sheet, fmt: str, rows=None):
    """The file, written and rewound: in memory while small, on disk past SPOOL_BYTES."""
    # Returned open: FileResponse or the caller closes it.
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    WRITERS[fmt](sheet, out, rows)
    out.seek(0)
    return out


def file_name(slug: str, params: QueryDict, fmt: str, now: dt.datetime | None = None) -> str:
    """Says the report, its filters and when: backup-status_health-critical_2026-12-04T1315Z.csv"""
    filters = [
        f"{name}-{value}"
        for name, value in sorted(params.items())
        if name not in LAYOUT and value != ""  # not a filter: out of the file name
    ]
    words = "_".join(file_names.part(words) for words in filters)
    middle = f"_{words[:80].rstrip('-_')}" if words else ""
    return file_names.stamped(f"{slug}{middle}", fmt, now or clock.now())


def response(sheet: Sheet, fmt: str, name: str) -> StreamingHttpResponse:
    """The CSV streamed as it is written; the XLSX (a zip, whose directory comes last)
    spooled, then streamed from the file."""
    if fmt == "csv":
        answer = StreamingHttpResponse(csv_chunks(sheet), content_type=CONTENT_TYPES[fmt])
        answer["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        answer = FileResponse(
            spooled(sheet, fmt), as_attachment=True, filename=name, content_type=CONTENT_TYPES[fmt]
        )
    return answer
