# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading JSON exports with errors that give the line and column of bad syntax and the JSON path
(``weightMat[12][3]``) of bad content."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .errors import ReadError
from .table import read_text


def load_json(path: str | Path, text: str | None = None) -> Any:
    path = Path(path)
    text = read_text(path) if text is None else text
    if not text.strip():
        raise ReadError(path, "the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(path, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise ReadError(path, "invalid JSON: nested too deeply") from None


def number(path: Path, value: Any, where: str) -> float:
    """A finite float from a JSON number or a numeric string (some dumps quote their scores)."""
    if isinstance(value, bool):
        raise ReadError(path, f"expected a number, got {json.dumps(value)}", json_path=where)
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise ReadError(path, f"expected a number, got {value[:40]!r}", json_path=where) from None
    else:
        raise ReadError(path, f"expected a number, got {type(value).__name__}", json_path=where)
    if not math.isfinite(result):
        raise ReadError(path, f"expected a finite number, got {value!r}", json_path=where)
    return result


def array(path: Path, value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ReadError(path, f"expected a list, got {type(value).__name__}", json_path=where)
    return value


def member(path: Path, obj: Any, key: str, where: str = "") -> Any:
    if not isinstance(obj, dict):
        raise ReadError(path, f"expected an object, got {type(obj).__name__}", json_path=where or "$")
    if key not in obj:
        raise ReadError(path, f"missing key {key!r}", json_path=where or "$")
    return obj[key]
