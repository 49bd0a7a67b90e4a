# SPDX-License-Identifier: GPL-3.0-or-later
"""Fast delimited-text tables whose errors still point at a line and a column.

Tracker CSVs are wide (OpenFace writes 714 columns, py-feat over 2000) and long (a 10-minute take
is 18 000 rows), but an importer needs a few dozen columns. numpy's C ``loadtxt`` converts just
those; only when it refuses a cell does the slow path walk the rows in Python, to name the exact
line and column or to accept empty cells as gaps.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ReadError

_SNIFF_BYTES = 4096


def read_text(path: str | Path) -> str:
    """A text file's contents as str, refusing binary files with a clear message.

    UTF-8 (with or without BOM) and UTF-16 with BOM are read as such; anything else falls back to
    cp1252, the encoding Excel writes CSV in on Windows, so event sheets from spreadsheets load.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise ReadError(path, "this is a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


@dataclass
class Table:
    """A delimited text table: header names and the raw data lines, converted on demand."""

    path: Path
    names: list[str]
    lines: list[str]
    line_numbers: list[int]
    """1-based file line of each data line (blank lines are skipped, so this is not i + 2)."""
    delimiter: str
    quoted: bool
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {}
        for i, name in enumerate(self.names):
            self._index.setdefault(name, i)

    def __len__(self) -> int:
        return len(self.lines)

    def has(self, name: str) -> bool:
        return name in self._index

    def find(self, *names: str) -> str | None:
        """The first of ``names`` the header has (for columns spelt differently across versions)."""
        return next((n for n in names if n in self._index), None)

    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise ReadError(self.path, f"the header has no column {name!r}", line=self.header_line) from None

    def require(self, *names: str) -> None:
        missing = [n for n in names if n not in self._index]
        if missing:
            listed = ", ".join(repr(n) for n in missing)
            raise ReadError(self.path, f"missing column(s) {listed}", line=self.header_line)

    @property
    def header_line(self) -> int:
        return self.line_numbers[0] - 1 if self.line_numbers else 1

    def error(self, row: int, message: str, column: int | None = None) -> ReadError:
        """A :class:`ReadError` at data row ``row`` and 0-based ``column``."""
        name = self.names[column] if column is not None and column < len(self.names) else None
        return ReadError(self.path, message, line=self.line_numbers[row],
                         column=None if column is None else column + 1, column_name=name)

    def numbers(self, names: list[str]) -> np.ndarray:
        """(rows, len(names)) floats; empty cells and ``nan`` are NaN, anything else non-numeric
        raises with its line and column."""
        cols = [self.index(n) for n in names]
        if not cols:
            return np.empty((len(self.lines), 0))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.loadtxt(self.lines, delimiter=self.delimiter, usecols=cols, ndmin=2,
                                  dtype=float, comments=None, quotechar='"' if self.quoted else None)
        except ValueError:
            return self._numbers_slowly(cols)

    def require_filled(self, values: np.ndarray, names: list[str], rows: np.ndarray | None = None) -> None:
        """Raise at the first NaN of ``values`` (columns ``names``): for formats whose writers fill
        every cell, an empty one means a damaged file, not a tracking gap. ``rows`` maps the rows
        of ``values`` back to data rows when it is a subset."""
        holes = np.argwhere(np.isnan(values))
        if holes.size:
            row, col = (int(v) for v in holes[0])
            raise self.error(int(rows[row]) if rows is not None else row, "empty or NaN value",
                             self.index(names[col]))

    def _numbers_slowly(self, cols: list[int]) -> np.ndarray:
        out = np.empty((len(self.lines), len(cols)))
        for r, cells in enumerate(self._rows()):
            for j, c in enumerate(cols):
                text = cells[c].strip().strip('"').strip()
                if not text:
                    out[r, j] = np.nan
                    continue
                try:
                    out[r, j] = float(text)
                except ValueError:
                    raise self.error(r, f"{_shorten(text)!r} is not a number", c) from None
        return out

    def strings(self, name: str) -> list[str]:
        c = self.index(name)
        return [cells[c].strip().strip('"') for cells in self._rows()]

    def _rows(self) -> list[list[str]]:
        if self.quoted:
            return list(csv.reader(self.lines, delimiter=self.delimiter, skipinitialspace=True))
        return [line.split(self.delimiter) for line in self.lines]


def read_table(path: str | Path, text: str | None = None) -> Table:
    """Parse the header and check every row has as many cells as the header (a truncated last
    row is the usual sign of a file copied while the tracker was still writing)."""
    path = Path(path)
    text = read_text(path) if text is None else text
    all_lines = text.splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(all_lines) if line.strip()]
    if not numbered:
        raise ReadError(path, "the file is empty")
    header_no, header = numbered[0]
    delimiter = _delimiter(header)
    quoted = '"' in text
    names = _split(header, delimiter, quoted)
    names = [n.strip() for n in names]
    if not numbered[1:]:
        raise ReadError(path, "no data rows after the header", line=header_no + 1)
    numbers, lines = (list(t) for t in zip(*numbered[1:], strict=True))
    table = Table(path, names, lines, numbers, delimiter, quoted)
    if quoted:
        counts = [len(cells) for cells in table._rows()]
    else:
        counts = [line.count(delimiter) + 1 for line in lines]
    width = len(names)
    for row, count in enumerate(counts):
        if count != width:
            hint = " (truncated file?)" if count < width else ""
            raise table.error(row, f"{count} cells but the header has {width}{hint}", min(count, width))
    return table


def _delimiter(header: str) -> str:
    """Comma unless the header has none and uses semicolons or tabs (spreadsheet exports)."""
    if "," in header:
        return ","
    for candidate in ("\t", ";"):
        if candidate in header:
            return candidate
    return ","


def _split(line: str, delimiter: str, quoted: bool) -> list[str]:
    if quoted:
        return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))
    return line.split(delimiter)


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
