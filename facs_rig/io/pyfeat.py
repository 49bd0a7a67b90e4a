# SPDX-License-Identifier: GPL-3.0-or-later
"""py-feat ``Fex`` CSV (``Detector`` v1 and v2 output): ``AUxx`` columns 0..1, and in v2 also the
52 ARKit blendshapes, which are solved for the AUs the AU columns do not cover.

py-feat writes one row per detected face per processed frame; ``frame`` is the video frame number
(``skip_frames`` leaves gaps) and ``approx_time`` only whole seconds, so the frame rate is inferred
from where ``approx_time`` ticks over, or taken from the caller.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .capture import Capture, first_not_increasing
from .errors import ReadError
from .table import GIB, Table, read_table

MAX_BYTES = 2 * GIB
"""Largest file read: py-feat writes over 2000 columns (landmarks), about 20 kB a row."""

AU_COLUMN = re.compile(r"AU(\d{1,2})")
FRAME_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0)
DEFAULT_FPS = 30.0
SCORE_COLUMN = "FaceScore"
NOT_SHAPES = {"_neutral"}


def looks_like(names: list[str]) -> bool:
    return any(AU_COLUMN.fullmatch(n) for n in names) and ("frame" in names or "input" in names)


def read(path: str | Path, *, min_confidence: float = 0.8, fps: float | None = None,
         table: Table | None = None, shape_names: frozenset[str] = frozenset()) -> Capture:
    """``shape_names`` (lower-case) picks the blendshape columns; empty reads AU columns only."""
    table = table or read_table(path, max_bytes=MAX_BYTES)
    capture = Capture("pyfeat", table.path)
    au_columns = [(int(m[1]), n) for n in table.names if (m := AU_COLUMN.fullmatch(n))]
    if not au_columns:
        raise ReadError(table.path, "no AU columns (AU01 ... AU43)", line=table.header_line)
    table.require("frame")
    shapes = [n for n in table.names if n.lower() in shape_names and n not in NOT_SHAPES]
    has_score = table.has(SCORE_COLUMN)
    names = ["frame", *([SCORE_COLUMN] if has_score else []), *(n for _, n in au_columns), *shapes]
    data = table.numbers(names)
    frame, score = data[:, 0], (data[:, 1] if has_score else None)
    first = 2 if has_score else 1
    not_finite = np.flatnonzero(~np.isfinite(frame))
    if not_finite.size:
        row = int(not_finite[0])
        raise table.error(row, "empty frame number" if np.isnan(frame[row]) else
                          f"frame number {frame[row]:g} is not a frame", table.index("frame"))
    if score is not None:
        score = capture.measured(score[:, None], [SCORE_COLUMN], "confidence", nan_is_gap=True)[:, 0]
    rows = _one_face_per_frame(frame, score, capture)
    frame = frame[rows]
    bad = first_not_increasing(frame)
    if bad is not None:
        raise table.error(int(rows[bad]), f"frame {frame[bad]:g} does not come after {frame[bad - 1]:g}",
                          table.index("frame"))
    rate = fps or _frame_rate(table, frame, rows, capture)
    capture.fps = rate
    capture.times = (frame - frame[0]) / rate
    capture.meta["first_frame"] = int(frame[0])

    au_names = [n for _, n in au_columns]
    au_values = capture.measured(data[rows, first:first + len(au_columns)], au_names, "AU", nan_is_gap=True)
    valid = ~np.all(np.isnan(au_values), axis=1)
    if score is not None:
        valid &= np.nan_to_num(score[rows], nan=0.0) >= min_confidence
    capture.set_valid(valid, f"without a face (or FaceScore below {min_confidence:g})")
    for (au, name), values in zip(au_columns, au_values.T, strict=True):
        capture.tracks[(au, "both")] = (np.clip(values, 0.0, 1.0), name)
    if shapes:
        capture.shape_names = shapes
        capture.shape_weights = np.clip(capture.measured(data[rows, first + len(au_columns):], shapes,
                                                         "blendshape", nan_is_gap=True), 0.0, 1.0)
    capture.meta["pyfeat"] = {"version": 2 if shapes else 1, "au_columns": au_names}
    return capture


def _one_face_per_frame(frame: np.ndarray, score: np.ndarray | None, capture: Capture) -> np.ndarray:
    """Row indices keeping, for each frame, the face py-feat was surest of."""
    counts = np.unique(frame, return_counts=True)[1]
    if counts.max(initial=1) <= 1:
        return np.arange(len(frame))
    rank = np.zeros(len(frame)) if score is None else np.nan_to_num(score, nan=-1.0)
    order = np.lexsort((-rank, frame))
    keep = order[np.r_[True, np.diff(frame[order]) != 0]]
    capture.warnings.append(f"{int((counts > 1).sum())} frames have several faces: kept the one with "
                            "the highest FaceScore")
    return np.sort(keep)


def _frame_rate(table: Table, frame: np.ndarray, rows: np.ndarray, capture: Capture) -> float:
    """The common rate consistent with every ``approx_time`` (``mm:ss``, whole seconds of
    ``frame / fps``); 30 fps with a warning when the file cannot tell."""
    if table.has("approx_time"):
        seconds = _clock_seconds(table.strings("approx_time"))
        if seconds is not None:
            seconds = seconds[rows]
            fits = [r for r in FRAME_RATES if np.array_equal(np.floor(frame / r + 1e-9), seconds)]
            if np.ptp(seconds) > 0 and fits:
                return fits[0] if len(fits) == 1 or DEFAULT_FPS not in fits else DEFAULT_FPS
    capture.warnings.append(f"frame rate not in the file: assumed {DEFAULT_FPS:g} fps "
                            "(pass the video's rate to correct the times)")
    return DEFAULT_FPS


def _clock_seconds(texts: list[str]) -> np.ndarray | None:
    """``mm:ss`` / ``hh:mm:ss`` strings as seconds; None if any cell is something else."""
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        parts = text.split(":")
        if not 2 <= len(parts) <= 3 or not all(p.strip().isdigit() and len(p) <= 6 for p in parts):
            return None
        value = 0
        for p in parts:
            value = value * 60 + int(p)
        out[i] = value
    return out
