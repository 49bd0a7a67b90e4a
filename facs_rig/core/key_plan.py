# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning keys: which keys the keyframer writes for a timeline.

Each control gets the sparse keys of its events (:func:`.keys.events_keys`) where they reproduce the
core's evaluation at every frame, and per-frame samples of that evaluation elsewhere (overlapping
events, tracks, combination rules), so the F-curve always plays what the timeline means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .catalogue import channels_for_side
from .evaluate import evaluate
from .keys import (
    BEZIER,
    SAME_TIME,
    ZERO,
    Keys,
    dense_keys,
    evaluate_keys,
    events_keys,
    keyable,
    merge_keys,
    to_frames,
)
from .model import Timeline, control_name
from .timing import check_frames, time_span


def _spans_frames(frames: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indexes into ``frames`` inside each span, concatenated, and the span each belongs to."""
    lo = np.searchsorted(frames, starts - SAME_TIME, side="left")
    hi = np.searchsorted(frames, ends + SAME_TIME, side="right")
    counts = np.maximum(hi - lo, 0)
    which = np.repeat(np.arange(len(starts)), counts)
    first = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(first, counts) + lo[which], which


def _max_slope(keys: Keys, owner: np.ndarray, n: int) -> np.ndarray:
    """Steepest value change per frame inside each piece (1.5 × the chord for smooth segments)."""
    slope = np.zeros(n)
    if len(keys) > 1:
        inside = owner[1:] == owner[:-1]
        chord = np.abs(np.diff(keys.y)) / np.maximum(np.diff(keys.x), 1e-12)
        chord *= np.where(keys.interpolation[:-1] == BEZIER, 1.5, 1.0)
        np.maximum.at(slope, owner[:-1][inside], chord[inside])
    return slope


def plan_curve(frames: np.ndarray, reference: np.ndarray, *, starts: np.ndarray, ends: np.ndarray,
               keys: Keys, owner: np.ndarray, tol: float = 5e-4) -> Keys:
    """The keys of one control: sparse events where they reproduce ``reference``, samples elsewhere.

    ``frames`` are consecutive integer frames covering every candidate piece, ``reference`` the
    control's value there (the core's evaluation). Candidate ``i`` spans ``starts[i]..ends[i]``;
    ``keys`` holds the keys of those that can be written sparsely, ``owner`` the candidate of each
    key (a candidate without keys, such as a track, is sampled). A candidate is written sparsely
    when no other overlaps it (touching is fine), its keys match the reference within ``tol`` at
    every frame of its span, and single-precision key times cannot move it by more than ``tol/2``.
    All other non-zero frames become samples, with a zero sample either side so the curve rests at
    0 between pieces.
    """
    frames = np.asarray(frames, float)
    reference = np.asarray(reference, float)
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    owner = np.asarray(owner, np.int64)
    n = len(starts)
    order = np.lexsort((ends, starts))
    s, e = starts[order], ends[order]
    before = np.maximum.accumulate(np.r_[-np.inf, e[:-1]]) if n else e
    after = np.r_[s[1:], np.inf] if n else s
    alone = np.zeros(n, bool)
    alone[order] = (before <= s + SAME_TIME) & (after >= e - SAME_TIME)
    has_keys = np.bincount(owner, minlength=n) > 0
    ulp = np.spacing(np.maximum(np.abs(starts), np.abs(ends)).astype(np.float32)).astype(float)
    trial = alone & has_keys & (_max_slope(keys, owner, n) * ulp <= tol / 2)
    tried = np.flatnonzero(trial)
    idx, which = _spans_frames(frames, starts[tried], ends[tried])
    err = np.zeros(n)
    if len(idx):
        got = evaluate_keys(merge_keys([keys.take(trial[owner])]), frames[idx])
        np.maximum.at(err, tried[which], np.abs(got - reference[idx]))
    accepted = trial & (err <= tol)
    covered = np.zeros(len(frames), bool)
    covered[idx[accepted[tried[which]]]] = True
    busy = ~covered & (np.abs(reference) > ZERO)
    grow = busy.copy()
    grow[1:] |= busy[:-1]
    grow[:-1] |= busy[1:]
    grow &= ~covered
    dense = dense_keys(frames[grow], reference[grow]) if grow.any() else Keys.empty()
    merged = merge_keys([keys.take(accepted[owner]), dense])
    if len(merged) == 0 and len(frames):
        merged = dense_keys(frames[:1], np.zeros(1))  # a control the timeline names but never moves
    return merged


@dataclass(frozen=True, eq=False)
class CurvePlan:
    """What the keyframer writes for a timeline: keys per control and the reference they match."""

    frames: np.ndarray
    """Consecutive integer frames covering the timeline, one spare frame either side."""
    controls: list[str]
    reference: np.ndarray
    """(len(controls), len(frames)) the core's evaluation at ``frames``."""
    keys: dict[str, Keys]
    fps: float
    start_frame: float

    def seconds(self, frames: np.ndarray) -> np.ndarray:
        return (np.asarray(frames, float) - self.start_frame) / self.fps


@dataclass(frozen=True, eq=False)
class _Pieces:
    """What a timeline's curves are made of: one entry per event or track and channel, grouped by
    control (stable, so each control's pieces keep the timeline's order)."""

    control: np.ndarray
    """(n,) index of the control in the evaluation's control list."""
    x: np.ndarray
    """(n, 4) onset, apex, apex_end and offset in frames (a track: first, first, last, last sample)."""
    intensity: np.ndarray
    """(n,) apex value; NaN for tracks, which are always sampled."""
    linear: np.ndarray
    """(n,) whether the event eases linearly."""

    @classmethod
    def of(cls, timeline: Timeline, index: Mapping[str, int], fps: float, start_frame: float) -> _Pieces:
        control: list[int] = []
        times: list[tuple[float, float, float, float]] = []
        intensity: list[float] = []
        linear: list[bool] = []
        for ev in timeline.events:
            for ch in channels_for_side(ev.au, ev.side):
                control.append(index[control_name(ev.au, ch)])
                times.append((ev.onset, ev.apex, ev.apex_end, ev.offset))
                intensity.append(ev.intensity)
                linear.append(ev.ease == "linear")
        for tr in timeline.tracks:
            if len(tr.times):
                t0, t1 = float(np.nanmin(tr.times)), float(np.nanmax(tr.times))
                for ch in channels_for_side(tr.au, tr.side):
                    control.append(index[control_name(tr.au, ch)])
                    times.append((t0, t0, t1, t1))
                    intensity.append(np.nan)
                    linear.append(False)
        order = np.argsort(np.asarray(control, np.int64), kind="stable")
        return cls(np.asarray(control, np.int64)[order],
                   to_frames(np.asarray(times, float).reshape(-1, 4), fps, start_frame)[order],
                   np.asarray(intensity, float)[order], np.asarray(linear, bool)[order])


def plan_timeline(timeline: Timeline, fps: float, start_frame: float = 1.0, *, resolve: bool = False,
                  tol: float = 5e-4) -> CurvePlan:
    """Keys for every control the timeline moves, at ``fps`` with time 0 on ``start_frame``.

    ``resolve`` is passed to the core's evaluation: the rig's drivers apply the exclusion rules
    themselves, so controls are keyed with unresolved values by default. A timeline reaching past
    Blender's frame range is refused before anything is sampled per frame.
    """
    first, last = time_span(timeline)
    check_frames(first, last, fps, start_frame)
    lo = int(np.floor(to_frames(first, fps, start_frame))) - 1
    hi = int(np.ceil(to_frames(last, fps, start_frame))) + 1
    frames = np.arange(lo, hi + 1, dtype=float)
    curves = evaluate(timeline, (frames - start_frame) / fps, resolve=resolve)
    pieces = _Pieces.of(timeline, {c: i for i, c in enumerate(curves.controls)}, fps, start_frame)
    keyed = ~np.isnan(pieces.intensity) & keyable(pieces.x) if len(pieces.x) else np.zeros(0, bool)
    can = np.flatnonzero(keyed)
    all_keys, key_piece = events_keys(pieces.x[can], pieces.intensity[can], pieces.linear[can])
    key_piece = can[key_piece]
    reference = np.asarray(curves.values, float).reshape(len(curves.controls), len(frames))
    ends = np.arange(len(curves.controls) + 1)
    pieces_at = np.searchsorted(pieces.control, ends)
    keys_at = np.searchsorted(pieces.control[key_piece], ends)
    keys = {}
    for i, name in enumerate(curves.controls):
        r0, r1, k0, k1 = pieces_at[i], pieces_at[i + 1], keys_at[i], keys_at[i + 1]
        keys[name] = plan_curve(frames, reference[i], starts=pieces.x[r0:r1, 0], ends=pieces.x[r0:r1, 3],
                                keys=all_keys.take(slice(k0, k1)), owner=key_piece[k0:k1] - r0, tol=tol)
    return CurvePlan(frames, list(curves.controls), reference, keys, fps, start_frame)
