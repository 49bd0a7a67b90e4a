# SPDX-License-Identifier: GPL-3.0-or-later
"""MediaPipe Face Landmarker blendshapes: JSON dumps of its results and the ``.pbtxt`` text form
of a ``ClassificationList``.

Dumps differ in shape (``{"people": [[...]]}``, ``{"faceBlendshapes": [{"categories": [...]}]}``, a
list of frames with timestamps, ...) but always hold *category lists*: lists of objects with a name
(``categoryName``, ``category_name``, ``name``, ``label``) and a ``score`` (sometimes a string).
A list under a faces key (``people``, ``faceBlendshapes``, ...) holds the faces of one image; a
list at the top holds frames. The first face of each frame is imported.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from pathlib import Path
from typing import Any

import numpy as np

from .capture import Capture, estimate_fps, first_not_increasing
from .errors import ReadError
from .jsondata import load_json, number
from .table import read_text

NAME_KEYS = ("categoryName", "category_name", "name", "label", "displayName", "display_name")
SCORE_KEYS = ("score", "value", "weight")
FACE_KEYS = ("people", "faces", "faceBlendshapes", "face_blendshapes", "blendshapes")
TIME_KEYS_MS = ("timestamp_ms", "timestampMs")
TIME_KEYS_S = ("timestamp", "time", "t")
DEFAULT_FPS = 30.0
IGNORED = {"_neutral"}


def looks_like(data: Any) -> bool:
    return bool(_category_lists(data, "$"))


def read(path: str | Path, *, data: Any = None, fps: float | None = None) -> Capture:
    path = Path(path)
    if data is None:
        data = parse_pbtxt(path) if path.suffix.lower() == ".pbtxt" else load_json(path)
    capture = Capture("mediapipe", path)
    frames = _frames(data)
    if not any(faces for _, faces in frames):
        raise ReadError(path, "no blendshape lists (objects with a category name and a score) found")
    names: list[str] = []
    seen: dict[str, int] = {}
    rows: list[dict[str, float]] = []
    times: list[float | None] = []
    several = 0
    for time, faces in frames:
        several += len(faces) > 1
        where, categories = faces[0] if faces else ("", [])
        row: dict[str, float] = {}
        for i, item in enumerate(categories):
            name = str(next(item[k] for k in NAME_KEYS if k in item))
            score_key = next(k for k in SCORE_KEYS if k in item)
            score = item[score_key]
            if isinstance(score, _Located):
                raise ReadError(path, f"{score!r} is not a number", line=score.line, column=score.col)
            if name in row:
                raise ReadError(path, f"blendshape {name!r} is listed twice in one face",
                                json_path=f"{where}[{i}]")
            not_finite = isinstance(score, float) and not math.isfinite(score)  # NaN, Infinity, 1e999
            row[name] = score if not_finite else number(path, score, f"{where}[{i}].{score_key}")
            if name not in seen:
                seen[name] = len(names)
                names.append(name)
        rows.append(row)
        times.append(time)
    shapes = [n for n in names if n not in IGNORED]
    shape = (len(rows), len(shapes))
    present = np.array([[n in row for n in shapes] for row in rows], dtype=bool).reshape(shape)
    scores = np.array([[row.get(n, 0.0) for n in shapes] for row in rows], dtype=float).reshape(shape)
    weights = np.where(present, capture.measured(scores, shapes, "blendshape"), np.nan)
    if several:
        capture.warnings.append(f"{several} frames show several faces: imported the first face")
    capture.shape_names = shapes
    capture.shape_weights = np.clip(weights, 0.0, 1.0)
    capture.set_valid(present.all(axis=1), "without a face or with missing scores")
    capture.times, capture.fps = _times(path, times, fps, capture)
    return capture


def _times(path: Path, times: list[float | None], fps: float | None,
           capture: Capture) -> tuple[np.ndarray, float | None]:
    if len(times) == 1:
        return np.zeros(1), fps
    if all(t is not None for t in times):
        stamps = np.array(times, dtype=float)
        not_finite = np.flatnonzero(~np.isfinite(stamps))
        if not_finite.size:
            raise ReadError(path, f"timestamp {stamps[not_finite[0]]:g} is not a time",
                            json_path=f"frame {not_finite[0]}")
        bad = first_not_increasing(stamps)
        if bad is not None:
            raise ReadError(path, f"timestamp {stamps[bad]:g} does not come after {stamps[bad - 1]:g}",
                            json_path=f"frame {bad}")
        return stamps - stamps[0], fps or estimate_fps(stamps)
    rate = fps or DEFAULT_FPS
    if fps is None:
        capture.warnings.append(f"no timestamps in the file: frames placed at {rate:g} fps")
    return np.arange(len(times)) / rate, rate


def _frames(data: Any) -> list[tuple[float | None, list[tuple[str, list[dict[str, Any]]]]]]:
    """(time in seconds or None, [(JSON path, category list) per face]) per frame."""
    if isinstance(data, dict) and "frames" in data:
        return _frames_of_list(data["frames"], "frames")
    if isinstance(data, list) and len(data) > 1 and not _is_category_list(data):
        return _frames_of_list(data, "$")
    faces = _category_lists(data, "$")
    return [(_time_of(data), faces)] if faces else []


def _frames_of_list(items: list[Any], where: str) -> list[tuple[float | None, list[Any]]]:
    """One frame per item (a category list, or an object holding one per face)."""
    return [(_time_of(item), _category_lists(item, f"{where}[{i}]")) for i, item in enumerate(items)]


def _time_of(item: Any) -> float | None:
    if not isinstance(item, dict):
        return None
    for keys, unit in ((TIME_KEYS_MS, 1000.0), (TIME_KEYS_S, 1.0)):
        for key in keys:
            value = item.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    return value / unit
                except OverflowError:  # an integer of 350 digits: no time, refused with its place
                    return math.inf
    return None


def _is_category(item: Any) -> bool:
    return isinstance(item, dict) and any(k in item for k in NAME_KEYS) and any(k in item for k in SCORE_KEYS)


def _is_category_list(node: Any) -> bool:
    return isinstance(node, list) and bool(node) and all(_is_category(item) for item in node)


def _category_lists(node: Any, where: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every category list under ``node`` in document order, with its JSON path."""
    if _is_category_list(node):
        return [(where, node)]
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _category_lists(value, f"{where}.{key}" if where != "$" else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _category_lists(value, f"{where}[{i}]")
    return found


# ----------------------------------------------------------------------------------------------
# Protocol-buffer text format, just enough for ClassificationList files

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<comment>\#[^\n]*)
      | (?P<name>[A-Za-z_][\w.]*)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<scalar>[-+]?[\w.+-]+)
      | (?P<open>[{<])
      | (?P<close>[}>])
      | (?P<colon>:)
      | (?P<separator>[;,])
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
Token = tuple[str, str, int, int]
"""(kind, text, line, column)."""


def parse_pbtxt(path: str | Path, text: str | None = None) -> dict[str, Any]:
    """A text proto as nested dicts: repeated fields become lists, single scalars stay values,
    messages are always lists of dicts (``{"classification": [{...}, ...]}``)."""
    path = Path(path)
    text = read_text(path) if text is None else text
    if not text.strip():
        raise ReadError(path, "the file is empty")
    tokens = _tokens(path, text)
    stack: list[dict[str, Any]] = [{}]
    i = 0
    while i < len(tokens):
        kind, value, line, col = tokens[i]
        if kind == "close":
            if len(stack) == 1:
                raise ReadError(path, f"unexpected {value!r}", line=line, column=col)
            stack.pop()
            i += 1
            continue
        if kind != "name":
            raise ReadError(path, f"expected a field name, got {value!r}", line=line, column=col)
        i += 1
        if i < len(tokens) and tokens[i][0] == "colon":
            i += 1
        nxt = tokens[i] if i < len(tokens) else None
        if nxt is None or nxt[0] not in ("scalar", "string", "name", "open"):
            raise ReadError(path, f"field {value!r} has no value", line=line, column=col)
        if nxt[0] == "open":
            child: dict[str, Any] = {}
            stack[-1].setdefault(value, []).append(child)
            stack.append(child)
        else:
            stack[-1].setdefault(value, []).append(_scalar(nxt))
        i += 1
    if len(stack) != 1:
        raise ReadError(path, "unexpected end of file: a '{' is never closed", line=text.count("\n") + 1)
    return _flatten(stack[0])


def _tokens(path: Path, text: str) -> list[Token]:
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    out: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None or kind in ("comment", "separator"):
            continue
        at = match.start(kind)
        line = bisect_right(starts, at)
        col = at - starts[line - 1] + 1
        if kind == "bad":
            raise ReadError(path, f"unexpected character {match[kind]!r}", line=line, column=col)
        value = match[kind][1:-1] if kind == "string" else match[kind]
        out.append((kind, value, line, col))
    return out


def _scalar(token: Token) -> Any:
    kind, value, line, col = token
    if kind == "string":
        return value
    try:
        return float(value)
    except ValueError:
        return _Located(value, line, col)


class _Located(str):
    """A bare word where a number was likely meant, keeping its position for the error message."""

    line: int
    col: int

    def __new__(cls, value: str, line: int, col: int) -> _Located:
        obj = super().__new__(cls, value)
        obj.line, obj.col = line, col
        return obj


def _flatten(node: dict[str, Any]) -> dict[str, Any]:
    """Single values of leaf fields unwrapped (``score: [0.5]`` → ``0.5``); messages stay lists."""
    out: dict[str, Any] = {}
    for key, values in node.items():
        if all(isinstance(v, dict) for v in values):
            out[key] = [_flatten(v) for v in values]
        else:
            out[key] = values[0] if len(values) == 1 else values
    return out
