# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a timeline starts and ends, the sample times a renderer or keyframer steps through, and
the frame and frame-rate limits of Blender that every timeline must fit.

The limits live here, in pure code, so ``validate`` refuses exactly what ``animate`` cannot do, and
the keyframer and renderer refuse a timeline before allocating anything per frame (an apex at frame
2³¹ − 1 once asked for billions of samples).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import FacsError
from .model import Timeline

MAX_FRAME = 1_048_574
"""Blender's last frame (``MAXFRAME``): the scene's frame range and current frame stop there."""
MAX_FPS_INT = 32767
"""``scene.render.fps`` is an integer 1..32767; the rate played is ``fps / fps_base``."""
FPS_BASE_RANGE = (1e-5, 1e6)
"""``scene.render.fps_base`` hard range (a single-precision float)."""
MIN_FPS = 1 / FPS_BASE_RANGE[1]
MAX_FPS = MAX_FPS_INT / FPS_BASE_RANGE[0]
DEFAULT_FPS = 30.0
"""Rate of a timeline without ``fps`` where none is given (sampling, and checks against the frame limit)."""
DEFAULT_START_FRAME = 1.0
"""Blender's default first frame, where a timeline's time 0 lands unless told otherwise."""


def scene_rate(fps: float) -> tuple[int, float]:
    """``(scene.render.fps, scene.render.fps_base)`` that play ``fps`` frames per second.

    The integer is ``fps`` rounded into 1..32767 and the base makes up the rest (29.97 is
    30 / 1.001, 0.5 is 1 / 2); a rate outside :data:`MIN_FPS`..:data:`MAX_FPS` has no such pair.
    """
    if not (math.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
        raise FacsError(f"{fps:g} fps is outside the frame rates Blender can play "
                        f"({MIN_FPS:g} to {MAX_FPS:g})")
    whole = min(max(round(fps), 1), MAX_FPS_INT)
    return whole, whole / fps


def last_frame(seconds: float, fps: float, start_frame: float = DEFAULT_START_FRAME) -> float:
    """The (whole) frame a time in seconds reaches, time 0 being ``start_frame``; ``inf`` on overflow."""
    with np.errstate(over="ignore"):
        frame = start_frame + np.float64(seconds) * fps
    return float(np.ceil(frame)) if np.isfinite(frame) else math.inf


def frame_text(frame: float) -> str:
    """A frame number as people write it: whole, in full (1048585, not 1.04858e+06)."""
    return f"{frame:.0f}" if abs(frame) < 1e15 else f"{frame:g}"


def check_frames(first: float, last: float, fps: float, start_frame: float = DEFAULT_START_FRAME) -> None:
    """Refuse a time span (seconds) whose frames leave Blender's ±:data:`MAX_FRAME` (keys before the
    scene start are fine, down to Blender's first frame)."""
    end = last_frame(last, fps, start_frame)
    if end > MAX_FRAME:
        raise FacsError(f"it ends at {last:g} s, frame {frame_text(end)} at {fps:g} fps from frame "
                        f"{start_frame:g}, past Blender's last frame {MAX_FRAME}")
    begin = last_frame(first, fps, start_frame) - 1
    if begin < -MAX_FRAME:
        raise FacsError(f"it starts at frame {frame_text(begin)}, before Blender's first frame {-MAX_FRAME}")


def time_span(timeline: Timeline) -> tuple[float, float]:
    """``(start, end)`` in seconds over all events (onset..offset) and tracks; ``(0, 0)`` if empty."""
    starts = [e.onset for e in timeline.events] + [float(t.times[0]) for t in timeline.tracks if len(t.times)]
    ends = [e.offset for e in timeline.events] + [float(t.times[-1]) for t in timeline.tracks if len(t.times)]
    if not starts:
        return 0.0, 0.0
    return min(starts), max(ends)


def sample_times(timeline: Timeline, fps: float | None = None, *, start: float = 0.0) -> np.ndarray:
    """Frame times ``start, start + 1/fps, ...`` up to and including the frame at or after the end.

    ``fps`` defaults to the timeline's rate, then :data:`DEFAULT_FPS`; more frames than Blender has
    are refused before anything is allocated.
    """
    rate = float(fps or timeline.fps or DEFAULT_FPS)
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    end = max(time_span(timeline)[1], start)
    if (end - start) * rate > MAX_FRAME:
        raise FacsError(f"the timeline lasts {end - start:g} s, {(end - start) * rate:g} frames at "
                        f"{rate:g} fps: more than Blender's {MAX_FRAME} frames")
    frames = math.ceil((end - start) * rate - 1e-9) + 1
    return start + np.arange(frames, dtype=float) / rate
