# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenFace 2.x ``FeatureExtraction`` CSV: ``AUxx_r`` intensities, head pose and gaze.

Quirks of real files handled here: names and values separated by ``", "`` in older builds; no
``face_id`` column in older builds, several faces in ``FaceLandmarkVidMulti`` output; a ``frame``
column that can be constant, so time comes from ``timestamp``; rows the tracker lost
(``success == 0``) or barely held (``confidence`` below the threshold) become gaps, not zeros.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .angles import (
    DOWN_POSITIVE,
    EYES_DOWN_POSITIVE,
    EYES_LEFT_POSITIVE,
    TILT_LEFT_POSITIVE,
    TURN_RIGHT_POSITIVE,
    Axis,
    angle_tracks,
)
from .capture import Capture, estimate_fps, first_not_increasing
from .errors import ReadError
from .table import GIB, Table, read_table

MAX_BYTES = 2 * GIB
"""Largest file read: a 2-hour 30 fps take with every output column is about 1 GB."""

INTENSITY_COLUMN = re.compile(r"AU(\d{1,2})_r")
OPENFACE_MAX = 5.0
"""``AUxx_r`` runs 0..5; the ``openface`` intensity scale reads value = r / 5."""
DEFAULT_FPS = 30.0

# Signs checked on the real 25 fps sample against its own 3D landmarks (docs/importers.md):
# +pose_Ry turns the face to the subject's right, +pose_Rx tips it down, +pose_Rz tilts it toward
# the subject's left shoulder; +gaze_angle_x looks to the subject's left, +gaze_angle_y down.
ANGLE_COLUMNS: tuple[tuple[str, Axis], ...] = (
    ("pose_Ry", TURN_RIGHT_POSITIVE),
    ("pose_Rx", DOWN_POSITIVE),
    ("pose_Rz", TILT_LEFT_POSITIVE),
    ("gaze_angle_x", EYES_LEFT_POSITIVE),
    ("gaze_angle_y", EYES_DOWN_POSITIVE),
)


def looks_like(names: list[str]) -> bool:
    return any(INTENSITY_COLUMN.fullmatch(n) for n in names) or {"confidence", "success"} <= set(names)


def read(path: str | Path, *, min_confidence: float = 0.8, table: Table | None = None) -> Capture:
    table = table or read_table(path, max_bytes=MAX_BYTES)
    capture = Capture("openface", table.path)
    au_columns = [(int(m[1]), n) for n in table.names if (m := INTENSITY_COLUMN.fullmatch(n))]
    if not au_columns:
        raise ReadError(table.path, "no AU intensity columns (AU01_r ... AU45_r): run FeatureExtraction "
                        "with -aus, or pick another format", line=table.header_line)
    table.require("timestamp")
    angle_columns = [(n, axis) for n, axis in ANGLE_COLUMNS if table.has(n)]
    extra = [n for n in ("face_id", "confidence", "success") if table.has(n)]
    au_names = [n for _, n in au_columns]
    angle_names = [n for n, _ in angle_columns]
    names = ["timestamp", *extra, *au_names, *angle_names]
    data = dict(zip(names, table.numbers(names, filled=("timestamp", *au_names)).T, strict=True))
    rows = _rows_of_main_face(table, data, capture)
    times = data["timestamp"][rows]
    not_finite = np.flatnonzero(~np.isfinite(times))
    if not_finite.size:
        raise table.error(int(rows[not_finite[0]]), f"timestamp {times[not_finite[0]]:g} is not a time",
                          table.index("timestamp"))
    if len(times) > 1 and np.all(times == times[0]):
        capture.warnings.append(f"every row has timestamp {times[0]:g} (image mode?): "
                                f"assumed {DEFAULT_FPS:g} fps")
        times = np.arange(len(times)) / DEFAULT_FPS
    bad = first_not_increasing(times)
    if bad is not None:
        raise table.error(int(rows[bad]), f"timestamp {times[bad]:g} does not come after "
                          f"{times[bad - 1]:g}", table.index("timestamp"))
    capture.times = times - times[0]
    capture.fps = estimate_fps(capture.times)

    valid = np.ones(len(rows), dtype=bool)
    if "success" in data:
        valid &= capture.measured(data["success"][rows, None], ["success"], "success")[:, 0] > 0
    if "confidence" in data:
        confidence = capture.measured(data["confidence"][rows, None], ["confidence"], "confidence")[:, 0]
        valid &= confidence >= min_confidence
    capture.set_valid(valid, f"not tracked (success 0 or confidence below {min_confidence:g})")

    intensities = capture.measured(np.column_stack([data[n][rows] for n in au_names]), au_names, "AU")
    for (au, name), values in zip(au_columns, intensities.T, strict=True):
        capture.tracks[(au, "both")] = (np.clip(values / OPENFACE_MAX, 0.0, 1.0), name)
    if angle_columns:
        angles = capture.measured(np.column_stack([data[n][rows] for n in angle_names]), angle_names,
                                  "head pose and gaze")
        for (name, axis), angle in zip(angle_columns, angles.T, strict=True):
            for au, values in angle_tracks(angle, axis).items():
                capture.tracks[(au, "both")] = (values, name)
    capture.meta["openface"] = {"au_columns": au_names, "angle_columns": angle_names}
    return capture


def _rows_of_main_face(table: Table, data: dict[str, np.ndarray], capture: Capture) -> np.ndarray:
    """Rows of the face seen most often: multi-face output interleaves faces row by row."""
    if "face_id" not in data:
        return np.arange(len(table))
    ids = data["face_id"]
    known = ids[~np.isnan(ids)]
    faces, counts = np.unique(known, return_counts=True)
    if len(faces) <= 1:
        return np.arange(len(table))
    main = faces[np.argmax(counts)]
    capture.warnings.append(f"{len(faces)} faces in the file: imported face_id {main:g} "
                            f"({counts.max()} of {len(ids)} rows)")
    return np.flatnonzero(ids == main)
