# SPDX-License-Identifier: GPL-3.0-or-later
"""Dense AU tracks to FACS events (onset, apex, apex_end, offset, intensity).

A tracker's curve is noise around a few movements; a FACS event sheet is the movements. Events
combine by ``max`` (the timeline default), so a curve is rebuilt from below, greedily: each pass
finds the stretches where the (lightly smoothed) curve stands above what the events so far give,
by at least ``on`` in the first pass and ``prominence`` afterwards, and lasting ``min_duration``
(dips below ``off`` shorter than ``min_gap`` do not end a stretch). Each stretch gets one
trapezoid: the apex holds over the samples within ``plateau`` of the stretch's peak, at their
mean, and the linear ramps are as long as they can be while staying under the curve (within
``tolerance``). A raised baseline under a peak, or a second hump beside it, is then still above
the events and gets its own event in the next pass.

:func:`rms_difference` says how far the compact timeline strays from the dense one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from .catalogue import channels_for_side
from .errors import FacsError
from .evaluate import envelope, evaluate
from .model import Event, Side, Timeline, Track, control_name


@dataclass(frozen=True)
class SegmentParams:
    on: float = 0.15
    """A movement needs its curve to reach this."""
    off: float = 0.05
    """... and lasts while the curve stays this far above the events so far."""
    min_duration: float = 0.1
    """Seconds; shorter stretches are noise, not movements."""
    min_gap: float = 0.1
    """Seconds; shorter dips below ``off`` do not split a stretch."""
    prominence: float = 0.1
    """After the first pass, a stretch must stand this far above the events so far."""
    plateau: float = 0.2
    """Samples within this fraction of a stretch's peak form the apex hold."""
    tolerance: float = 0.06
    """How far a ramp may rise above the curve."""
    smooth: float = 0.1
    """Seconds of moving average before segmenting (0 for the raw curve)."""
    max_passes: int = 50
    """Safety cap; a pass adds one layer of events, and real curves need a handful."""

    def __post_init__(self) -> None:
        if not 0 <= self.off <= self.on <= 1:
            raise FacsError(f"segmentation needs 0 <= off <= on <= 1, got off={self.off}, on={self.on}")
        if self.prominence <= 0 or self.max_passes < 1:
            raise FacsError("segmentation needs prominence > 0 and max_passes >= 1")


@dataclass(frozen=True)
class Segment:
    onset: float
    apex: float
    apex_end: float
    offset: float
    intensity: float

    def event(self, au: int = 0, side: Side = "both", source: str = "") -> Event:
        """This segment as a linear event (the AU does not matter to its envelope)."""
        return Event(au, self.intensity, self.onset, self.apex, self.apex_end, self.offset, side=side,
                     ease="linear", source=source)


def segment_curve(times: np.ndarray, values: np.ndarray,
                  params: SegmentParams | None = None) -> list[Segment]:
    """The events of one curve; NaN samples are gaps and read as 0."""
    p = params or SegmentParams()
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if len(t) < 2:
        return []
    gaps = np.isnan(v)
    s = _smooth(t, np.where(gaps, 0.0, v), p.smooth)
    s[gaps] = 0.0
    built = np.zeros_like(s)
    out: list[Segment] = []
    for rank in range(p.max_passes):
        progress = False
        for span in _stretches(t, s, built, p, first=rank == 0):
            seg = _fit(t, s, built, span, p)
            window = slice(np.searchsorted(t, seg.onset), np.searchsorted(t, seg.offset, side="right"))
            shape = envelope(seg.event(), t[window])
            if np.max(shape - built[window], initial=0.0) < p.prominence / 2:
                continue  # hidden under the events so far: it would not change the rebuild
            built[window] = np.maximum(built[window], shape)
            out.append(seg)
            progress = True
        if not progress:
            break
    return sorted(out, key=lambda seg: seg.onset)


def _smooth(t: np.ndarray, v: np.ndarray, seconds: float) -> np.ndarray:
    step = float(np.median(np.diff(t)))
    width = round(seconds / step) if step > 0 else 1
    if width <= 1:
        return v.copy()
    padded = np.pad(v, (width // 2, width - 1 - width // 2), mode="edge")
    return np.convolve(padded, np.ones(width) / width, mode="valid")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of each run of True."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _stretches(t: np.ndarray, s: np.ndarray, built: np.ndarray, p: SegmentParams,
               first: bool) -> list[tuple[int, int]]:
    """Index ranges where the curve stands above the events so far, worth an event this pass."""
    excess = s - built
    merged: list[list[int]] = []
    for a, b in _runs(excess > p.off):
        if merged and t[a] - t[merged[-1][1]] < p.min_gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    need = p.on if first else p.prominence
    out = []
    for a, b in merged:
        if t[min(b + 1, len(t) - 1)] - t[max(a - 1, 0)] < p.min_duration:
            continue
        edges = [a, *(a + v for v in _valleys(s[a:b + 1], p.prominence)), b]
        out += [(lo, hi) for lo, hi in pairwise(edges)
                if excess[lo:hi + 1].max() >= need and s[lo:hi + 1].max() >= p.on]
    return out


def _valleys(s: np.ndarray, prominence: float) -> list[int]:
    """Valleys at least ``prominence`` below the peaks on both sides (peak-valley detection with a
    fixed delta), so every hump of a long stretch gets its own event in the same pass."""
    valleys: list[int] = []
    high, low, low_at, falling = s[0], s[0], 0, False
    for i, x in enumerate(s):
        if not falling:
            if x > high:
                high = x
            elif high - x >= prominence:
                falling, low, low_at = True, x, i
        elif x < low:
            low, low_at = x, i
        elif x - low >= prominence:
            valleys.append(low_at)
            falling, high = False, x
    return valleys


def _fit(t: np.ndarray, s: np.ndarray, built: np.ndarray, span: tuple[int, int], p: SegmentParams) -> Segment:
    """One trapezoid under the curve over the stretch ``span``, ramps as long as the curve allows."""
    a, b = span
    peak_at = a + int(np.argmax(s[a:b + 1]))
    high = s >= s[peak_at] * (1.0 - p.plateau)
    top, top_end = peak_at, peak_at
    while top > a and high[top - 1]:
        top -= 1
    while top_end < b and high[top_end + 1]:
        top_end += 1
    level = float(s[top:top_end + 1].mean())
    reach = np.flatnonzero(s[top:top_end + 1] >= level - p.tolerance) + top
    top, top_end = int(reach[0]), int(reach[-1])
    ceiling = np.maximum(s, built) + p.tolerance
    onset = _ramp_end(t, ceiling, top, level, max(a - 1, 0))
    offset = _ramp_end(t, ceiling, top_end, level, min(b + 1, len(t) - 1))
    return Segment(onset, float(t[top]), float(t[top_end]), offset, level)


def _ramp_end(t: np.ndarray, ceiling: np.ndarray, i: int, level: float, limit: int) -> float:
    """Farthest start (``limit`` < i) or end (``limit`` > i) of a linear ramp between 0 at that
    point and ``level`` at sample ``i`` that stays under ``ceiling``; never beyond sample ``limit``."""
    idx = np.arange(limit, i) if limit < i else np.arange(i + 1, limit + 1)
    if not idx.size:
        return float(t[i])
    far = float(t[limit])
    c = ceiling[idx]
    below = c < level
    if not below.any():
        return far
    bounds = (level * t[idx][below] - c[below] * t[i]) / (level - c[below])
    return max(float(bounds.max()), far) if limit < i else min(float(bounds.min()), far)


def segment_tracks(tracks: Sequence[Track], params: SegmentParams | None = None) -> list[Event]:
    """Events for every track, in time order per track; each names its track's source."""
    events = []
    for track in tracks:
        events += [seg.event(track.au, track.side, track.source)
                   for seg in segment_curve(track.times, track.values, params)]
    return events


def rms_difference(tracks: Sequence[Track], events: Sequence[Event], overlap: str = "max") -> float | None:
    """Root-mean-square gap between the dense tracks and the events evaluated at the tracks' own
    samples (gaps skipped); None when there is nothing to compare."""
    valid = [(tr, ~np.isnan(np.asarray(tr.values, dtype=float))) for tr in tracks]
    valid = [(tr, ok) for tr, ok in valid if ok.any()]
    if not valid:
        return None
    times = np.unique(np.concatenate([np.asarray(tr.times, dtype=float)[ok] for tr, ok in valid]))
    curves = evaluate(Timeline(events=list(events), overlap=overlap), times, resolve=False)  # type: ignore[arg-type]
    total, count = 0.0, 0
    for track, ok in valid:
        at = np.searchsorted(times, np.asarray(track.times, dtype=float)[ok])
        reference = np.asarray(track.values, dtype=float)[ok]
        for channel in channels_for_side(track.au, track.side):
            compact = curves.get(control_name(track.au, channel))[at]
            total += float(np.sum((compact - reference) ** 2))
            count += reference.size
    return float(np.sqrt(total / count))
