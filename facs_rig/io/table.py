# SPDX-License-Identifier: GPL-3.0-or-later
"""Fast delimited-text tables whose errors still point at a line and a column.

Tracker CSVs are wide (OpenFace writes 714 columns, py-feat over 2000) and long (a 10-minute take
is 18 000 rows, a long one a million), but an importer needs a few dozen columns. numpy's C
``loadtxt`` converts just those; empty cells (gaps) are filled in line by line for a second try,
and only a cell that is still not a number makes a pass walk the rows in Python to name its line
and column. Rows are split one at a time, never all at once (a Python string per cell of a wide
file would take many times the file's size).
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import numpy as np

from ..core.files import FileError, read_bytes
from ..core.jsondoc import DocumentError, decode_text
from .errors import ReadError

MIB = 1024 * 1024
GIB = 1024 * MIB
DEFAULT_MAX_BYTES = 64 * MIB
"""Size limit of a text input whose format sets none (each importer module has its ``MAX_BYTES``)."""


def read_text(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A text file's contents as str, refusing special files, files over ``max_bytes`` and bytes
    that are not text (the shared :func:`~..core.jsondoc.decode_text`: UTF-8, or UTF-16 with a BOM,
    as ``validate`` accepts), each with a message naming the file."""
    try:
        return decode_text(read_bytes(path, max_bytes=max_bytes))
    except FileError as exc:
        raise file_error(exc) from None
    except DocumentError as exc:
        raise ReadError(path, exc.reason, line=exc.line, column=exc.column) from None
    except OSError as exc:
        raise ReadError(path, f"cannot read the file: {exc.strerror or exc}") from None


def file_error(exc: FileError) -> ReadError:
    """The shared file check's refusal as an importer error (one error type for the panel and CLI)."""
    return ReadError(exc.path, f"cannot read the file: {exc.reason}")


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
    _repeated: dict[str, list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index, self._repeated = {}, {}
        for i, name in enumerate(self.names):
            if name in self._index and name:
                self._repeated.setdefault(name, [self._index[name]]).append(i)
            self._index.setdefault(name, i)

    def __len__(self) -> int:
        return len(self.lines)

    def has(self, name: str) -> bool:
        return name in self._index

    def find(self, *names: str) -> str | None:
        """The first of ``names`` the header has (for columns spelt differently across versions)."""
        return next((n for n in names if n in self._index), None)

    def index(self, name: str) -> int:
        self.require_unique([name])
        try:
            return self._index[name]
        except KeyError:
            raise ReadError(self.path, f"the header has no column {name!r}", line=self.header_line) from None

    def require(self, *names: str) -> None:
        missing = [n for n in names if n not in self._index]
        if missing:
            listed = ", ".join(repr(n) for n in missing)
            raise ReadError(self.path, f"missing column(s) {listed}", line=self.header_line)

    def require_unique(self, names: list[str]) -> None:
        """Refuse columns the header names more than once: which of them holds the data is a guess,
        and taking either silently would hide a broken export."""
        repeated = [n for n in dict.fromkeys(names) if n in self._repeated]
        if repeated:
            listed = "; ".join(f"{n!r} (columns {', '.join(str(c + 1) for c in self._repeated[n])})"
                               for n in repeated)
            raise ReadError(self.path, f"the header repeats column name(s) {listed}", line=self.header_line)

    @property
    def header_line(self) -> int:
        return self.line_numbers[0] - 1 if self.line_numbers else 1

    def error(self, row: int, message: str, column: int | None = None) -> ReadError:
        """A :class:`ReadError` at data row ``row`` and 0-based ``column``."""
        name = self.names[column] if column is not None and column < len(self.names) else None
        return ReadError(self.path, message, line=self.line_numbers[row],
                         column=None if column is None else column + 1, column_name=name)

    def numbers(self, names: list[str], *, filled: tuple[str, ...] = ()) -> np.ndarray:
        """(rows, len(names)) floats: empty cells are NaN (gaps), except in the ``filled`` columns
        (formats whose writers fill every cell, where an empty one means a damaged file); anything
        that is not a number raises with its line and column. ``nan``, ``inf`` and out-of-range
        numbers come back as read (``inf``): what they mean is the importer's call.

        numpy's C ``loadtxt`` converts the wanted columns; when it refuses a cell, empty cells are
        written as ``nan`` and it tries again, and only a cell that is still not a number makes
        a pass walk the rows in Python to find it."""
        self.require_unique(names)
        cols = [self.index(n) for n in names]
        if not cols:
            return np.empty((len(self.lines), 0))
        try:
            values = self._load(self.lines, cols)
        except ValueError:
            empty = re.compile(rf"(^|{re.escape(self.delimiter)})[ \t]*(?:\"\")?[ \t]*"
                               rf"(?=[ \t]*{re.escape(self.delimiter)}|[ \t]*$)")
            try:
                values = self._load([empty.sub(r"\1nan", line) for line in self.lines], cols)
            except ValueError:
                self._raise_at_first_bad_cell(cols)
            self._refuse_empty(values, names, filled)
        return values

    def _load(self, lines: list[str], cols: list[int]) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.loadtxt(lines, delimiter=self.delimiter, usecols=cols, ndmin=2, dtype=float,
                              comments=None, quotechar='"' if self.quoted else None)

    def _refuse_empty(self, values: np.ndarray, names: list[str], filled: tuple[str, ...]) -> None:
        """Raise at the first empty cell of a ``filled`` column (a written ``nan`` is not empty)."""
        for j in (j for j, name in enumerate(names) if name in filled):
            for row in np.flatnonzero(np.isnan(values[:, j])):
                c = self.index(names[j])
                if not self._cells(int(row))[c].strip().strip('"').strip():
                    raise self.error(int(row), "empty value", c)

    def _raise_at_first_bad_cell(self, cols: list[int]) -> NoReturn:
        for r, cells in enumerate(self._rows()):
            for c in cols:
                text = cells[c].strip().strip('"').strip()
                if text and not _is_number(text):
                    raise self.error(r, f"{shorten(text)!r} is not a number", c)
        raise ReadError(self.path, "a cell numpy cannot read as a number", line=self.header_line)

    def _cells(self, row: int) -> list[str]:
        return next(self._split([self.lines[row]]))

    def strings(self, name: str) -> list[str]:
        c = self.index(name)
        if self.quoted:
            return [cells[c].strip().strip('"') for cells in self._rows()]
        return [line.split(self.delimiter, c + 1)[c].strip() for line in self.lines]

    def _rows(self) -> Iterator[list[str]]:
        """Cells of each row, one row at a time: a wide file split all at once would hold a Python
        string per cell."""
        return self._split(self.lines)

    def _split(self, lines: Iterable[str]) -> Iterator[list[str]]:
        if self.quoted:
            return csv.reader(lines, delimiter=self.delimiter, skipinitialspace=True)
        return (line.split(self.delimiter) for line in lines)


def _is_number(text: str) -> bool:
    """What numpy's parser accepts too (Python's ``float`` also takes ``1_000`` and non-ASCII digits)."""
    try:
        float(text)
    except ValueError:
        return False
    return text.isascii() and "_" not in text


def read_table(path: str | Path, text: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Table:
    """Parse the header and check every row has as many cells as the header (a truncated last
    row is the usual sign of a file copied while the tracker was still writing)."""
    path = Path(path)
    text = read_text(path, max_bytes=max_bytes) if text is None else text
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


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
