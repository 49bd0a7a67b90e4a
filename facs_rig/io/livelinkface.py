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

from .angles import EYE_AXES, HEAD_AXES, Axis, angle_tracks
from .capture import Capture, estimate_fps
from .errors import ReadError
from .table import GIB, Table, read_table, shorten

MAX_BYTES = GIB
"""Largest file read: about 800 bytes a frame: six hours at 60 fps."""

COUNT_COLUMNS = ("BlendShapeCount", "BlendshapeCount")
TIME_COLUMN = "Timecode"
HEAD_COLUMNS: tuple[tuple[str, Axis], ...] = tuple(
    zip(("HeadYaw", "HeadPitch", "HeadRoll"), HEAD_AXES, strict=True))
EYE_COLUMNS = (("LeftEyeYaw", "RightEyeYaw"), ("LeftEyePitch", "RightEyePitch"))
"""Read with :data:`.angles.EYE_AXES`, each pair averaged."""
ROTATION_COLUMNS = {n for n, _ in HEAD_COLUMNS} | {n for pair in EYE_COLUMNS for n in pair} | {
    "LeftEyeRoll", "RightEyeRoll"}
TAKE_RATES = (24, 25, 30, 48, 50, 60)
_TIMECODE = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})[:;.](\d{1,3})(?:\.(\d{1,9}))?")
"""Hours run to 99 and sub-frames to nine digits: any longer number is not a timecode."""
MIXED_RATE_RATIO = 1.5
"""Whole seconds of one take holding this many times more frames than others mean mixed rates."""


def looks_like(names: list[str]) -> bool:
    return any(n in names for n in COUNT_COLUMNS) or (
        TIME_COLUMN in names and any(n.startswith("EyeBlink") for n in names))


def read(path: str | Path, *, table: Table | None = None) -> Capture:
    table = table or read_table(path, max_bytes=MAX_BYTES)
    capture = Capture("livelinkface", table.path)
    table.require(TIME_COLUMN)
    skip = {TIME_COLUMN, *COUNT_COLUMNS, *ROTATION_COLUMNS}
    shapes = [n for n in table.names if n and n not in skip]
    if not shapes:
        raise ReadError(table.path, "no blendshape columns after Timecode", line=table.header_line)
    capture.times, capture.fps, keep = _times(table, capture)
    weights = capture.measured(table.numbers(shapes, filled=tuple(shapes))[keep], shapes, "blendshape")
    negative = int((weights < 0).sum())
    if negative:
        capture.warnings.append(f"{negative} slightly negative blendshape values clamped to 0 "
                                f"(lowest {np.nanmin(weights):.3g})")
    capture.shape_names = shapes
    capture.shape_weights = np.clip(weights, 0.0, 1.0)

    rotations = [n for n in (*(n for n, _ in HEAD_COLUMNS), *(n for pair in EYE_COLUMNS for n in pair))
                 if table.has(n)]
    angles = dict(zip(rotations, capture.measured(table.numbers(rotations)[keep], rotations,
                                                  "head and eye rotation").T, strict=True))
    for name, axis in HEAD_COLUMNS:
        if name not in angles:
            continue
        if np.all(angles[name] == 0):
            capture.warnings.append(f"{name} is 0 on every frame (head tracking off?): no head AUs from it")
            continue
        for au, values in angle_tracks(angles[name], axis).items():
            capture.tracks[(au, "both")] = (values, name)
    for pair, axis in zip(EYE_COLUMNS, EYE_AXES, strict=True):
        present = [n for n in pair if n in angles]
        if not present:
            continue
        angle = np.mean([angles[n] for n in present], axis=0)
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
            raise table.error(row, f"{shorten(text)!r} is not a timecode HH:MM:SS:FF.fff", col)
        h, m, s, f, sub = match.groups()
        if int(m) > 59 or int(s) > 59:
            raise table.error(row, f"{text!r} is not a timecode: minutes and seconds run to 59", col)
        parts[row] = (int(h), int(m), int(s), int(f), float(f"0.{sub}") if sub else 0.0)
    seconds = parts[:, 0] * 3600 + parts[:, 1] * 60 + parts[:, 2]
    frames = parts[:, 3] + parts[:, 4]
    rate = _take_rate(table, seconds, parts[:, 3], capture)
    times = seconds + frames / rate
    backwards = np.flatnonzero(np.diff(times) < 0)
    if backwards.size:
        raise table.error(int(backwards[0]) + 1, f"timecode runs backwards at {rate} fps", col)
    keep = np.flatnonzero(np.r_[True, np.diff(times) > 0])
    if len(keep) < len(times):
        capture.warnings.append(f"{len(times) - len(keep)} rows repeat the previous timecode: dropped")
    _warn_mixed_rates(seconds[keep], rate, capture)
    times = times[keep] - times[0]
    return times, estimate_fps(times) or float(rate), keep


def _warn_mixed_rates(seconds: np.ndarray, rate: int, capture: Capture) -> None:
    """A take whose whole seconds hold very different numbers of frames was recorded (or edited
    together) at several rates: its times are all read at one rate, so say so."""
    _, counts = np.unique(seconds, return_counts=True)
    inner = counts[1:-1]
    if inner.size < 2:
        return
    low, high = int(inner.min()), int(inner.max())
    if high >= MIXED_RATE_RATIO * low:
        slow = int((inner < MIXED_RATE_RATIO * low).sum())
        capture.warnings.append(f"the frame rate changes within the take: {slow} seconds hold about {low} "
                                f"frames, {inner.size - slow} about {high} (mixed frame rates or dropped "
                                f"frames?); every timecode is read at {rate} fps")
        capture.meta["mixed_frame_rates"] = True


def _take_rate(table: Table, seconds: np.ndarray, frame: np.ndarray, capture: Capture) -> int:
    """The smallest common rate above every frame number seen; a take shorter than a second that
    never passes frame 29 is read at 30 fps, with a warning if it could also have been 60."""
    top = int(frame.max())
    rate = next((r for r in TAKE_RATES if r > top), None)
    if rate is None:
        raise table.error(int(np.argmax(frame)), f"frame number {top} in the timecode is above every known "
                          f"take rate ({', '.join(map(str, TAKE_RATES))} fps)", table.index(TIME_COLUMN))
    if rate <= 30 and np.ptp(seconds) < 1 and len(frame) > 1:
        capture.warnings.append(f"take shorter than a second: rate read as {rate} fps from its frame numbers")
    capture.meta["timecode_rate"] = rate
    return rate
