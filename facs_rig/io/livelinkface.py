# SPDX-License-Identifier: GPL-3.0-or-later
"""Epic's Live Link Face CSV: ARKit blendshapes per frame, plus head and eye rotations.

The header is read by name (the app writes JawRight before JawLeft, MouthRight before MouthLeft)
and spells the count column ``BlendShapeCount`` or ``BlendshapeCount``. Timecode is
``HH:MM:SS:FF.fff`` at the take's own rate (30 or 60 fps), which the file does not state: it is
read from the frame numbers, because reading a 60 fps take at 30 makes time run backwards.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .angles import (
    DOWN_POSITIVE,
    EYES_DOWN_POSITIVE,
    EYES_RIGHT_POSITIVE,
    TILT_RIGHT_POSITIVE,
    TURN_RIGHT_POSITIVE,
    Axis,
    angle_tracks,
)
from .capture import Capture, estimate_fps
from .errors import ReadError
from .table import Table, read_table

COUNT_COLUMNS = ("BlendShapeCount", "BlendshapeCount")
TIME_COLUMN = "Timecode"
HEAD_COLUMNS: tuple[tuple[str, Axis], ...] = (
    # Eye signs measured on a real take against the eyeLook* shapes (+yaw = subject's right,
    # +pitch = down); the head is assumed to follow the same convention (docs/importers.md).
    ("HeadYaw", TURN_RIGHT_POSITIVE),
    ("HeadPitch", DOWN_POSITIVE),
    ("HeadRoll", TILT_RIGHT_POSITIVE),
)
EYE_COLUMNS = (("LeftEyeYaw", "RightEyeYaw"), ("LeftEyePitch", "RightEyePitch"))
EYE_AXES = (EYES_RIGHT_POSITIVE, EYES_DOWN_POSITIVE)
ROTATION_COLUMNS = {n for n, _ in HEAD_COLUMNS} | {n for pair in EYE_COLUMNS for n in pair} | {
    "LeftEyeRoll", "RightEyeRoll"}
TAKE_RATES = (24, 25, 30, 48, 50, 60)
_TIMECODE = re.compile(r"(\d+):(\d{1,2}):(\d{1,2})[:;.](\d{1,3})(?:\.(\d+))?")


def looks_like(names: list[str]) -> bool:
    return any(n in names for n in COUNT_COLUMNS) or (
        TIME_COLUMN in names and any(n.startswith("EyeBlink") for n in names))


def read(path: str | Path, *, table: Table | None = None) -> Capture:
    table = table or read_table(path)
    capture = Capture("livelinkface", table.path)
    table.require(TIME_COLUMN)
    skip = {TIME_COLUMN, *COUNT_COLUMNS, *ROTATION_COLUMNS}
    shapes = [n for n in table.names if n and n not in skip]
    if not shapes:
        raise ReadError(table.path, "no blendshape columns after Timecode", line=table.header_line)
    capture.times, capture.fps, keep = _times(table, capture)
    weights = table.numbers(shapes)
    table.require_filled(weights, shapes)
    weights = weights[keep]
    negative = int((weights < 0).sum())
    if negative:
        capture.warnings.append(f"{negative} slightly negative blendshape values clamped to 0 "
                                f"(lowest {weights.min():.3g})")
    capture.shape_names = shapes
    capture.shape_weights = np.clip(weights, 0.0, 1.0)

    for name, axis in HEAD_COLUMNS:
        if not table.has(name):
            continue
        angle = table.numbers([name])[keep, 0]
        if np.all(angle == 0):
            capture.warnings.append(f"{name} is 0 on every frame (head tracking off?): no head AUs from it")
            continue
        for au, values in angle_tracks(angle, axis).items():
            capture.tracks[(au, "both")] = (values, name)
    for pair, axis in zip(EYE_COLUMNS, EYE_AXES, strict=True):
        present = [n for n in pair if table.has(n)]
        if not present:
            continue
        angle = table.numbers(present)[keep].mean(axis=1)
        if np.all(angle == 0):
            continue
        for au, values in angle_tracks(angle, axis).items():
            capture.tracks[(au, "both")] = (values, "+".join(present))
    return capture


def _times(table: Table, capture: Capture) -> tuple[np.ndarray, float, np.ndarray]:
    """Seconds from the first frame, at the take rate the frame numbers reveal, and the rows kept
    (a row repeating the previous timecode is dropped)."""
    col = table.index(TIME_COLUMN)
    parts = np.empty((len(table), 5))
    for row, text in enumerate(table.strings(TIME_COLUMN)):
        match = _TIMECODE.fullmatch(text)
        if match is None:
            raise table.error(row, f"{text!r} is not a timecode HH:MM:SS:FF.fff", col)
        h, m, s, f, sub = match.groups()
        parts[row] = (int(h), int(m), int(s), int(f), float(f"0.{sub}") if sub else 0.0)
    seconds = parts[:, 0] * 3600 + parts[:, 1] * 60 + parts[:, 2]
    frames = parts[:, 3] + parts[:, 4]
    rate = _take_rate(seconds, parts[:, 3], capture)
    times = seconds + frames / rate
    backwards = np.flatnonzero(np.diff(times) < 0)
    if backwards.size:
        raise table.error(int(backwards[0]) + 1, f"timecode runs backwards at {rate} fps", col)
    keep = np.flatnonzero(np.r_[True, np.diff(times) > 0])
    if len(keep) < len(times):
        capture.warnings.append(f"{len(times) - len(keep)} rows repeat the previous timecode: dropped")
    times = times[keep] - times[0]
    return times, estimate_fps(times) or float(rate), keep


def _take_rate(seconds: np.ndarray, frame: np.ndarray, capture: Capture) -> int:
    """The smallest common rate above every frame number seen; a take shorter than a second that
    never passes frame 29 is read at 30 fps, with a warning if it could also have been 60."""
    top = int(frame.max())
    rate = next((r for r in TAKE_RATES if r > top), None)
    if rate is None:
        raise ReadError(capture.path, f"frame number {top} in the timecode is above every known take rate")
    if rate <= 30 and np.ptp(seconds) < 1 and len(frame) > 1:
        capture.warnings.append(f"take shorter than a second: rate read as {rate} fps from its frame numbers")
    capture.meta["timecode_rate"] = rate
    return rate
