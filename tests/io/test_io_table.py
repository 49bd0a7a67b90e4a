# SPDX-License-Identifier: GPL-3.0-or-later
"""The CSV layer every table importer stands on: fast path, slow path, and where errors point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facs_rig.core.errors import FacsError
from facs_rig.io.errors import ReadError
from facs_rig.io.table import read_table


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_comma_space_and_comma_separators_read_alike(tmp_path: Path) -> None:
    a = read_table(write(tmp_path, "x, y, z\n1, 2.5, 3\n4, 5, 6\n", "a.csv"))
    b = read_table(write(tmp_path, "x,y,z\r\n1,2.5,3\r\n4,5,6\r\n", "b.csv"))
    assert a.names == b.names == ["x", "y", "z"]
    assert np.array_equal(a.numbers(["z", "y"]), b.numbers(["z", "y"]))
    assert a.numbers(["y"])[:, 0].tolist() == [2.5, 5.0]


def test_blank_lines_are_skipped_but_line_numbers_stay_true(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "\nx,y\n1,2\n\n3,oops\n"))
    with pytest.raises(ReadError) as err:
        table.numbers(["x", "y"])
    assert (err.value.line, err.value.column, err.value.column_name) == (5, 2, "y")
    assert "t.csv, line 5, column 2 (y)" in str(err.value)
    assert "'oops' is not a number" in str(err.value)


def test_empty_cells_are_gaps_not_zeros(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "x,y\n1,\n,2\n"))
    values = table.numbers(["x", "y"])
    assert np.isnan(values[0, 1]) and np.isnan(values[1, 0])
    assert values[0, 0] == 1 and values[1, 1] == 2


def test_quoted_cells_with_commas_keep_columns_aligned(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, 'name,v\n"a, b",1\n"c",2\n'))
    assert table.strings("name") == ["a, b", "c"]
    assert table.numbers(["v"])[:, 0].tolist() == [1.0, 2.0]


def test_semicolon_sheets_from_spreadsheets(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "a;b\n1;2\n"))
    assert table.numbers(["b"])[0, 0] == 2


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("", None, None, "empty"),
        ("\n \n", None, None, "empty"),
        ("a,b\n", 2, None, "no data rows"),
        ("a,b,c\n1,2,3\n4,5\n", 3, 3, "line 3, column 3 (c): 2 cells but the header has 3 (truncated file?)"),
        ("a,b\n1,2,3\n", 2, 3, "3 cells but the header has 2"),
    ],
)
def test_broken_tables_name_file_and_line(tmp_path: Path, text: str, line: int | None, column: int | None,
                                          message: str) -> None:
    with pytest.raises(FacsError) as err:
        read_table(write(tmp_path, text))
    assert isinstance(err.value, ReadError)
    assert (err.value.line, err.value.column) == (line, column)
    assert message in str(err.value)
    assert str(err.value).startswith("t.csv")


def test_missing_column_names_it(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "a,b\n1,2\n"))
    with pytest.raises(ReadError, match=r"missing column.*'timestamp'"):
        table.require("a", "timestamp")


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clip.csv"
    path.write_bytes(b"\x00\x01\x02 binary")
    with pytest.raises(ReadError, match="binary"):
        read_table(path)


def test_utf16_spreadsheet_export(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_text("a\tb\n1\t2\n", encoding="utf-16")
    assert read_table(path).numbers(["a", "b"]).tolist() == [[1.0, 2.0]]
