# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading JSON exports with errors that give the line and column of bad syntax and the JSON path
(``weightMat[12][3]``) of bad content.

The reading and checking are the core's (:mod:`..core.jsondoc`, shared with timelines, presets and
batch specs); this module words the result as the importers' :class:`ReadError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.errors import FacsError
from ..core.files import FileError
from ..core.jsondoc import Checker, DocumentError, parse_json, read_document
from ..core.jsondoc import number as json_number
from ..core.timing import scene_rate
from .errors import ReadError
from .table import file_error


def load_json(path: str | Path, text: str | None = None) -> Any:
    """The JSON of ``path`` (or of ``text`` already read from it), within the shared limits."""
    path = Path(path)
    try:
        return read_document(path, what="input") if text is None else parse_json(text)
    except FileError as exc:
        raise file_error(exc) from None
    except DocumentError as exc:
        raise ReadError(path, exc.reason, line=exc.line, column=exc.column) from None


def _checker(path: Path) -> Checker:
    return Checker(raise_as=lambda where, message: ReadError(path, message, json_path=where or "$"))


def number(path: Path, value: Any, where: str) -> float:
    """A finite float from a JSON number or a numeric string (some dumps quote their scores)."""
    return _checker(path).need(where, json_number, value, numeric_strings=True)


def frame_rate(path: Path, value: Any, where: str) -> float:
    """A frame rate Blender can play (:func:`..core.timing.scene_rate`), so the timeline made from
    the file is one ``validate`` and ``animate`` accept."""
    rate = _checker(path).need(where, json_number, value, positive=True)
    try:
        scene_rate(rate)
    except FacsError as exc:
        raise ReadError(path, str(exc), json_path=where) from None
    return rate


def array(path: Path, value: Any, where: str) -> list[Any]:
    return _checker(path).array(value, where)


def member(path: Path, obj: Any, key: str, where: str = "") -> Any:
    return _checker(path).member(obj, key, where)
