# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a timeline starts and ends, and the sample times a renderer or keyframer steps through."""

from __future__ import annotations

import math

import numpy as np

from .model import Timeline


def time_span(timeline: Timeline) -> tuple[float, float]:
    """``(start, end)`` in seconds over all events (onset..offset) and tracks; ``(0, 0)`` if empty."""
    starts = [e.onset for e in timeline.events] + [float(t.times[0]) for t in timeline.tracks if len(t.times)]
    ends = [e.offset for e in timeline.events] + [float(t.times[-1]) for t in timeline.tracks if len(t.times)]
    if not starts:
        return 0.0, 0.0
    return min(starts), max(ends)


def sample_times(timeline: Timeline, fps: float | None = None, *, start: float = 0.0) -> np.ndarray:
    """Frame times ``start, start + 1/fps, ...`` up to and including the frame at or after the end.

    ``fps`` defaults to the timeline's rate, then 30.
    """
    rate = float(fps or timeline.fps or 30.0)
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    end = max(time_span(timeline)[1], start)
    frames = math.ceil((end - start) * rate - 1e-9) + 1
    return start + np.arange(frames, dtype=float) / rate
