"""Reading a CSV file with the position of every cell, for errors a person can act on.

Line numbers are physical lines of the file, the header being line 1: a quoted cell
may hold line breaks, so the n-th record is not on line n + 1.

An import stops at the first bad row. A file checked whole for a person (an upload's
preview, reports.refresh) is opened with every_error=True instead: each bad row is
noted and skipped, and the parser's check() at the end raises them all together
(FileErrors), so the file is still refused and nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import count, islice
from pathlib import Path

# What a text file opened with newline="" ends a line on, as csv.reader counts them.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A byte that is not UTF-8, as errors="surrogateescape" keeps it.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# One cell of a record as csv reads it: quoted, its doubled quotes inside and its
# closing quote missing where the text ends inside it, or not, where a quote is text
# (13"x"). The one reading of the quotes csv_file names a bad cell's column by.
_CELL = re.compile(r'"(?:[^"]|"")*(?P<closed>"?)|(?:[^,\r\n"][^,\r\n]*)?')
# A file with more bad rows than this is the wrong file: the rest are counted, not kept.
MAX_ERRORS = 1000
# The longest physical line read: a row of the vendor's 37 cells, each at csv's own
# limit on a cell (131,072 characters), is under 5 million. A file of one endless line
# (a JSON export uploaded by mistake) was read whole before csv refused it: 756 MB of
# the web process for a 300 MB line (2026-12-06); now it is refused as it is met.
LONGEST_LINE = 8 * 1024 * 1024


def printable(text: str) -> str:
    """Text quoted from a file, fit for a message: a NUL (which PostgreSQL stores neither
    in text nor in JSON, so neither in the run log nor in an upload's errors) as \\x00."""
    return text.replace("\x00", "\\x00")


class ImportFailed(Exception):
    """One bad thing in the file, said with where it is."""

    def __init__(self, file: str, line: int | None, column: str | None, message: str) -> None:
        file, message = printable(str(file)), printable(message)
        column = None if column is None else printable(column)
        self.file, self.line, self.column, self.message = file, line, column, message
        where = file + (f", line {line}" if line else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")


class FileErrors(ImportFailed):
    """Every bad row of a file checked whole: the first says where, `errors` has them
    all (up to MAX_ERRORS), `count` how many there were."""

    def __init__(self, errors: list[ImportFailed], count: int) -> None:
        self.errors, self.count = errors, count
        first = errors[0]
        more = f" (and {count - 1:,} more error{'s' if count > 2 else ''})" if count > 1 else ""
        super().__init__(first.file, first.line, first.column, first.message + more)


class RowErrors(ImportFailed):
    """Every bad cell of one row, in column order: said as its first where the reading
    stops there (an import), each one counted where every error is (a preview)."""

    def __init__(self, errors: list[ImportFailed]) -> None:
        self.errors = errors
        first = errors[0]
        # Each of the others said too, where the first is said alone (the commands, the
        # run log, a sync): they named the first bad cell of the row, and the next only
        # once it was mended (found by an audit).
        others = "".join(
            "; "
            + (f"line {error.line}, " if error.line != first.line else "")
            + (f"column {error.column}: " if error.column else "")
            + error.message
            for error in errors[1:]
        )
        super().__init__(first.file, first.line, first.column, first.message + others)


class WrongSeparator(ImportFailed):
    """A header whose columns another character than the comma separates: the file is
    right but for that, and the error says so rather than that every column is missing."""


# What a spreadsheet saves as "CSV" where the comma is the decimal mark (a semicolon),
# or as text (a tab), said as the error names it.
_OTHER_SEPARATORS = {";": "semicolons (;)", "\t": "tabs"}

# The first bytes of what people upload instead of UTF-8 CSV, and what to do about it.
_NOT_TEXT = (
    (b"\xff\xfe", "it is UTF-16 text: save or export it as UTF-8 CSV"),
    (b"\xfe\xff", "it is UTF-16 text: save or export it as UTF-8 CSV"),
    (b"\x1f\x8b", "it is a gzip archive: upload the CSV file inside it"),
    (b"PK\x03\x04", "it is a zip archive (or an Excel workbook): upload the CSV file"),
)


def together(*failures: ImportFailed) -> ImportFailed:
    """The errors of several files said at once (a report and its org tree): each
    file's every error, not the first file's alone."""
    errors = [e for f in failures for e in (f.errors if isinstance(f, FileErrors) else [f])]
    count = sum(f.count if isinstance(f, FileErrors) else 1 for f in failures)
    return FileErrors(errors, count)


@dataclass(frozen=True)
class Record:
    line: int  # the physical line its first cell is on
    last_line: int
    cells: list[str]

    def line_of(self, index: int) -> int:
        """The physical line cell `index` starts on: earlier cells may span lines."""
        if self.line == self.last_line:
            return self.line
        return self.line + sum(len(_LINE_BREAK.findall(cell)) for cell in self.cells[:index])


class Columns(dict):
    """Where each column of the header is, by name. A name the header gives twice is
    refused when it is read, and only then: which of the two holds the value cannot be
    told, but a column the import never reads does not matter (spec 6: extras do not),
    and `extra,extra` stopped every import (found by an audit)."""

    def __init__(self, file_name: str) -> None:
        super().__init__()
        self.file_name = file_name
        self.twice: set[str] = set()

    def _once(self, name) -> None:
        if name in self.twice:
            raise ImportFailed(self.file_name, 1, name, "the header names this column twice")

    def __getitem__(self, name):
        self._once(name)
        return super().__getitem__(name)

    def __contains__(self, name) -> bool:
        self._once(name)
        return super().__contains__(name)

    def get(self, name, default=None):
        self._once(name)
        return super().get(name, default)


class CsvFile:
    """A CSV file whose columns are found by header name; order and extras do not matter."""

    def __init__(
        self, path: str | Path, name: str | None = None, *, every_error: bool = False
    ) -> None:
        self.path = Path(path)
        self.name = name or str(path)
        self.columns = Columns(self.name)
        self.header: list[str] = []  # its names as read, stripped
        self.errors: list[ImportFailed] | None = [] if every_error else None
        self.error_count = 0

    def reject(self, error: ImportFailed) -> None:
        """A bad row: stop at it, or, checking every error, note it and go on."""
        if self.errors is None:
            raise error
        for each in error.errors if isinstance(error, RowErrors) else [error]:
            self.error_count += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(each)

    def check(self) -> None:
        """After the last row: raise the errors noted, if there were any."""
        if self.error_count:
            raise FileErrors(self.errors, self.error_count)

    def _stop(self, error: ImportFailed) -> ImportFailed:
        """What to raise for a fault that ends the reading: with the rows noted before."""
        if not self.error_count:
            return error
        self.reject(error)
        return FileErrors(self.errors, self.error_count)

    def error(self, record: Record, column: str | None, message: str) -> ImportFailed:
        line = record.line_of(self.columns[column]) if column in self.columns else record.line
        return ImportFailed(self.name, line, column, message)

    def records(self, required: Iterable[str]) -> Iterator[Record]:
        """The records after the header, blank lines skipped, each as long as the header."""
        try:
            # utf-8-sig drops the byte order mark spreadsheets put before the header.
            with self.path.open(encoding="utf-8-sig", newline="") as file:
                reader = csv.reader(self.lines(file), strict=True)
                yield from self._records(reader, required)
        except OSError as error:
            message = error.strerror or str(error)
            raise self._stop(ImportFailed(self.name, None, None, message)) from None
        except UnicodeDecodeError:
            line = self._line_of_bad_byte()
            message = "is not UTF-8 text" + self._what_it_is()
            column = self._column_of_bad_byte(line)
            raise self._stop(ImportFailed(self.name, line, column, message)) from None

    def _what_it_is(self) -> str:
        """What a file that is not UTF-8 seems to be, from its first bytes, so that the
        person knows what to do: "is not UTF-8 text" alone said nothing of a zipped or a
        UTF-16 export (found by an audit, 2026-12-06)."""
        with self.path.open("rb") as file:
            start = file.read(4)
        for magic, what in _NOT_TEXT:
            if start.startswith(magic):
                return f" ({what})"
        return " (save or export it as UTF-8 CSV)"

    def lines(self, file) -> Iterator[str]:
        """The physical lines of a file opened with newline="", as csv.reader reads them,
        each read up to LONGEST_LINE characters: a longer one is refused, not kept."""
        number = 0
        while line := file.readline(LONGEST_LINE):
            number += 1
            if len(line) == LONGEST_LINE and not line.endswith(("\n", "\r")):
                message = f"the line is longer than {LONGEST_LINE:,} characters: not an export"
                raise self._stop(ImportFailed(self.name, number, None, message))
            yield line

    def check_header(self, required: Iterable[str]) -> bool:
        """A quick look before the whole file is read: raises ImportFailed unless it is
        CSV text whose header has these columns; says whether a row follows it. (Its
        rows are not checked.)"""
        records = self.records(required)
        try:
            return next(records, None) is not None
        except ImportFailed as error:
            if error.line not in (None, 1):
                return True  # a fault further down: the header is fine, a row is there
            raise
        finally:
            records.close()

    def _records(self, reader, required: Iterable[str]) -> Iterator[Record]:
        width = self._read_header(reader)
        missing = [column for column in required if column not in self.columns]
        if missing:
            self._check_separator(required)
            also = f"; so are {', '.join(missing[1:])}" if missing[1:] else ""
            raise ImportFailed(self.name, 1, missing[0], f"required column is missing{also}")
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                column, message = self._column_of_bad_quote(line), f"not valid CSV ({error})"
                if str(error) == "unexpected end of data":
                    # The file ends inside a quoted cell: at a line break in it, a cut
                    # download passed the sync's check of its last line, and was said
                    # to be invalid CSV, not cut (found by an audit).
                    message += (
                        ": the file ends inside this quoted cell, cut short or its closing "
                        "quote missing"
                    )
                if str(error).startswith("field larger than field limit"):
                    column, lines = self._long_cell(line)
                    message = f"the cell is longer than {csv.field_size_limit():,} characters"
                    if lines:
                        # A quote opened and never closed reads the rest of the file
                        # into one cell: the person was sent after a long cell the file
                        # does not have (found by an audit).
                        message += (
                            f": it runs on over {lines:,} lines, as a cell whose opening "
                            "quote is never closed does: is the closing quote missing?"
                        )
                raise self._stop(ImportFailed(self.name, line, column, message)) from None
            if not any(cells):
                # A blank line, or a spreadsheet's row of empty cells (,,,,) that it
                # saves past the data: nothing to read. Such a row stopped the import,
                # "orgUid is missing" (found by an audit).
                continue
            record = Record(line, reader.line_num, cells)
            if [cell.strip() for cell in cells] == self.header:
                # Two exports joined (cat a.csv b.csv): the second header was a row of
                # ten errors, each a column's name that is no date or number, none
                # saying what the line was (found by an audit).
                message = (
                    "this line is the header again: two files joined into one? Only the "
                    "first line may be the header"
                )
                self.reject(ImportFailed(self.name, line, None, message))
                continue
            if len(cells) < width:
                missing = self._first_column_from(len(cells))
                message = f"the row ends after {len(cells)} cells; the header has {width}"
                self.reject(self.error(record, missing, message))
                continue
            if len(cells) > width:
                message = f"{len(cells)} cells but the header has {width}"
                self.reject(self.error(record, None, message))
                continue
            yield record

    def _check_separator(self, required: Iterable[str]) -> None:
        """Raise WrongSeparator if another separator splits the header into columns it
        needs: a semicolon-separated export (a spreadsheet's "CSV" in much of Europe)
        was told "required column is missing; so are ..." all 34 of them, or, uploaded,
        that it is not the vendor's export at all (found by an audit)."""
        header = ",".join(self.columns)
        for separator, said in _OTHER_SEPARATORS.items():
            if separator in header and set(required) & {
                name.strip().strip('"') for name in header.split(separator)
            }:
                message = (
                    f"the columns are separated by {said}, not commas: save or export "
                    "the file as comma-separated CSV, as the vendor writes it"
                )
                raise WrongSeparator(self.name, 1, None, message)

    def _record_text(self, line: int) -> str:
        """The text from `line` on, as far as a record's cells can reach before one is
        longer than csv reads."""
        enough = (len(self.columns) + 1) * (csv.field_size_limit() + 3)
        parts, length = [], 0
        with self.path.open(encoding="utf-8-sig", newline="") as file:
            lines = iter(lambda: file.readline(LONGEST_LINE), "")  # as lines() reads them
            for text in islice(lines, line - 1, None):
                parts.append(text)
                length += len(text)
                if length > enough:
                    break
        return "".join(parts)

    def _column_name(self, index: int) -> str | None:
        return {where: name for name, where in self.columns.items()}.get(index)

    def _cells(self, line: int) -> Iterator[tuple[int, re.Match, str]]:
        """The cells of the record from `line` as csv reads them: each cell's index,
        its match of _CELL and the character after it; the last is the first cell not
        followed by a comma (the record's end, or where csv stopped)."""
        text, at = self._record_text(line), 0
        for index in count():
            cell = _CELL.match(text, at)
            after = text[cell.end() : cell.end() + 1]
            yield index, cell, after
            if after != ",":
                return
            at = cell.end() + 1

    def _column_of_bad_quote(self, line: int) -> str | None:
        """The column of the cell whose quotes csv refused in the record from `line`:
        text after its closing quote ("MacBook"Pro) or a quote never closed (a file cut
        inside a cell). csv's error names neither the column nor the cell (found by an
        audit of the import)."""
        for index, cell, after in self._cells(line):
            quoted = cell.group().startswith('"')
            if quoted and (not cell.group("closed") or after not in ("", ",", "\r", "\n")):
                return self._column_name(index)
        return None

    def _long_cell(self, line: int) -> tuple[str | None, int]:
        """The column of the first cell too long for csv in the record from `line` (csv's
        error names none, as it stops before the cell ends), and the line breaks in its
        first `limit` characters if it is quoted: a cell so long over many lines is the
        rest of the file after a quote never closed."""
        limit = csv.field_size_limit()
        for index, cell, _after in self._cells(line):
            text = cell.group()
            if len(text) >= limit:
                quoted = text.startswith('"')
                breaks = len(_LINE_BREAK.findall(text, 0, limit)) if quoted else 0
                return self._column_name(index), breaks if breaks > 1 else 0
        return None, 0

    def _first_column_from(self, index: int) -> str | None:
        later = [(at, name) for name, at in self.columns.items() if at >= index]
        return min(later)[1] if later else None

    def _read_header(self, reader) -> int:
        """Learn where each column is; returns how many cells a row must have."""
        try:
            names = next(reader)
        except StopIteration:
            raise ImportFailed(self.name, 1, None, "the file is empty; expected a header") from None
        except csv.Error as error:
            raise ImportFailed(self.name, 1, None, f"not valid CSV ({error})") from None
        if not any(name.strip() for name in names):
            # A blank line above the header was read as the header, and every column
            # said missing on line 1 (found by an audit).
            message = "the first line is blank: the header must be the file's first line"
            raise ImportFailed(self.name, 1, None, message)
        self.header = [name.strip() for name in names]
        for index, raw in enumerate(names):
            name = raw.strip()
            if name and dict.__contains__(self.columns, name):
                self.columns.twice.add(name)
            elif name:
                self.columns[name] = index
        return len(names)

    def _column_of_bad_byte(self, line: int | None) -> str | None:
        """The column of the first cell holding a byte that is not UTF-8, in the records
        up to `line`: a Latin-1 name among UTF-8 ones was said by its line alone (found
        by an audit of the import). Read again keeping such bytes (surrogateescape)."""
        if line is None or line < 2:
            return None
        with self.path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as file:
            # The header read here: the decoder reads ahead, and may have failed on a
            # later line before the header was taken.
            reader = csv.reader(self.lines(file))
            try:
                header = [name.strip() for name in next(reader)]
                for cells in reader:
                    for index, cell in enumerate(cells):
                        if _ESCAPED_BYTE.search(cell):
                            return header[index] if index < len(header) else None
                    if reader.line_num >= line:
                        return None
            except (csv.Error, ImportFailed, StopIteration):
                return None
        return None

    def _line_of_bad_byte(self) -> int | None:
        # In pieces: the file may be a gigabyte that is not text at all.
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        line = 1
        with self.path.open("rb") as file:
            while chunk := file.read(1 << 20):
                pending = len(decoder.getstate()[0])  # bytes of a character cut in two
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    return line + chunk.count(b"\n", 0, max(0, error.start - pending))
                line += chunk.count(b"\n")
        return None
