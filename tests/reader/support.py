# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the reader tests: rendering with ``facs_rig render``, the rendered timeline's
intended values, read values, and writing test videos with PyAV."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from facs_rig.core.evaluate import evaluate
from facs_rig.core.model import parse_control_name
from facs_rig.core.timeline import load
from facs_rig.io.importer import ImportResult
from facs_rig.reader import Frame

ROOT = Path(__file__).resolve().parents[2]
READBACK = Path(__file__).parent / "fixtures" / "readback.json"
"""AU 1+2, 12, 25+26 and 43 with independent timing, then R12 (7.8–9.0 s), AU51 (9.0–10.2 s) and
AU52 (10.4–11.6 s), at 15 fps."""
RESOLUTION = "256x256"


def render(timeline: Path, out: Path) -> Path:
    command = [sys.executable, "-m", "facs_rig", "render", "--timeline", str(timeline), "-o", str(out),
               "--resolution", RESOLUTION]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def intended(times: np.ndarray, au: int) -> np.ndarray:
    """The rendered timeline's value of an AU (mean over its sides) at ``times``."""
    curves = evaluate(load(READBACK), times)
    rows = [curves.get(c) for c in curves.controls if parse_control_name(c)[0] == au]
    return np.mean(rows, axis=0)


def au_value(result: ImportResult, au: int, side: str | None = None) -> np.ndarray:
    """A read AU over the take, the mean of its sides unless one is named."""
    rows = [t.values for t in result.timeline.tracks if t.au == au and side in (None, t.side)]
    assert rows, f"AU{au} was not read"
    return np.mean(rows, axis=0)


def write_video(path: Path, frames: Sequence[np.ndarray], times_ms: Sequence[int], *,
                rotation: int = 0) -> Path:
    """An H.264 MP4 with the given presentation times (ms) and display rotation (degrees
    counter-clockwise); ``frames`` are stored as given."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = stream.time_base = Fraction(1, 1000)  # else libx264 snaps to 1/rate
        if rotation:
            stream.set_display_rotation(rotation)
        for rgb, ms in zip(frames, times_ms, strict=True):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def frame_at(frames: list[Frame], seconds: float) -> np.ndarray:
    return min(frames, key=lambda f: abs(f.time - seconds)).rgb
