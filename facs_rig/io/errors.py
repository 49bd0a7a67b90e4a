# SPDX-License-Identifier: GPL-3.0-or-later
"""The one error importers raise: where in which file, and what is wrong there."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import FacsError


class ReadError(FacsError):
    """A file an importer cannot use, located as precisely as its format allows.

    Text tables give a line and a column (number and header name), JSON a path such as
    ``weightMat[12][3]``, text protos a line and column; the message starts with the file name so
    the CLI and the panel can show it as is.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        column_name: str | None = None,
        json_path: str | None = None,
    ) -> None:
        self.path = str(path)
        self.reason = message
        self.line = line
        self.column = column
        self.column_name = column_name
        self.json_path = json_path
        where = [Path(path).name if str(path) else "<input>"]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}" + (f" ({column_name})" if column_name else ""))
        elif column_name:
            where.append(f"column {column_name!r}")
        if json_path:
            where.append(json_path)
        super().__init__(", ".join(where) + ": " + message)
