"""Reading a CSV file with the position of every cell, for errors a person can act on.

Line numbers are physical lines of the file, the header being line 1: a quoted cell
may hold line breaks, so the n-th record is not on line n + 1.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# What a text file opened with newline="" ends a line on, as csv.reader counts them.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ImportFailed(Exception):
    """One bad thing in the file, said with where it is."""

    def __init__(self, file: str, line: int | None, column: str | None, message: str) -> None:
        self.file, self.line, self.column = file, line, column
        where = file + (f", line {line}" if line else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")


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


class CsvFile:
    """A CSV file whose columns are found by header name; order and extras do not matter."""

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or str(path)
        self.columns: dict[str, int] = {}

    def error(self, record: Record, column: str | None, message: str) -> ImportFailed:
        line = record.line_of(self.columns[column]) if column in self.columns else record.line
        return ImportFailed(self.name, line, column, message)

    def records(self, required: Iterable[str]) -> Iterator[Record]:
        """The records after the header, blank lines skipped, each as long as the header."""
        try:
            # utf-8-sig drops the byte order mark spreadsheets put before the header.
            with self.path.open(encoding="utf-8-sig", newline="") as file:
                reader = csv.reader(file, strict=True)
                yield from self._records(reader, required)
        except OSError as error:
            raise ImportFailed(self.name, None, None, error.strerror or str(error)) from None
        except UnicodeDecodeError:
            line = self._line_of_bad_byte()
            raise ImportFailed(self.name, line, None, "is not UTF-8 text") from None

    def _records(self, reader, required: Iterable[str]) -> Iterator[Record]:
        width = self._read_header(reader)
        missing = [column for column in required if column not in self.columns]
        if missing:
            also = f"; so are {', '.join(missing[1:])}" if missing[1:] else ""
            raise ImportFailed(self.name, 1, missing[0], f"required column is missing{also}")
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise ImportFailed(self.name, line, None, f"not valid CSV ({error})") from None
            if not cells or cells == [""]:
                continue
            record = Record(line, reader.line_num, cells)
            if len(cells) < width:
                missing = self._first_column_from(len(cells))
                message = f"the row ends after {len(cells)} cells; the header has {width}"
                raise self.error(record, missing, message)
            if len(cells) > width:
                raise self.error(record, None, f"{len(cells)} cells but the header has {width}")
            yield record

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
        for index, raw in enumerate(names):
            name = raw.strip()
            if name in self.columns:
                raise ImportFailed(self.name, 1, name, "the header names this column twice")
            if name:
                self.columns[name] = index
        return len(names)

    def _line_of_bad_byte(self) -> int | None:
        data = self.path.read_bytes()
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return data.count(b"\n", 0, error.start) + 1
        return None
