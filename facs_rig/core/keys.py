# SPDX-License-Identifier: GPL-3.0-or-later
"""Keys and Bezier handles for timeline events: the keyframer's maths, free of Blender.

An event's envelope eases up from onset to apex, holds to apex_end and eases down to offset. A cubic
Bezier segment whose handles lie flat at one third and two thirds of its span has x(s) linear in s
and y(s) = y0 + (y1 − y0)(3s² − 2s³), exactly the ``smooth`` ease; ``linear`` is a LINEAR segment
(its handles are put on the line so switching it to Bezier in the Graph Editor changes nothing). So
three or four keys reproduce an isolated event with no sampling error, sub-frame times included.

Where that is not enough (events of one control overlapping, dense tracks, combination rules
changing values) :func:`plan_curve` writes per-frame samples of the core's evaluation instead, so
the F-curve always equals the reference at every frame. Every sparse event is checked against the
reference before it is used, which keeps the keyframer right whatever the evaluation does.

Arrays here use Blender's enum integers for interpolation and key type (plain data, no bpy), so the
keyframer hands them to ``foreach_set`` as they are. Times are frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import takewhile

import numpy as np

from .catalogue import channels_for_side, get_au
from .evaluate import evaluate
from .model import Event, Timeline, Track, control_name, parse_control_name
from .timing import time_span

CONSTANT, LINEAR, BEZIER = 0, 1, 2
"""``Keyframe.interpolation`` enum values (the same on Blender 4.2 to 5.0)."""
KEYFRAME, EXTREME, GENERATED = 0, 1, 5
"""``Keyframe.type`` enum values: event boundaries, event apex keys, per-frame samples."""
HANDLE_FREE = 0
"""``Keyframe.handle_*_type`` FREE: handles stay where they are put when Blender updates the curve."""

SAME_TIME = 1e-4
"""Keys closer than this (frames) are one key: two touching events share their zero key."""
ZERO = 1e-9
DIGITS = 6
"""Decimals of exported times (seconds) and intensities: keys are single precision, so the digits
past these are noise."""


@dataclass(frozen=True, eq=False)
class Keys:
    """The keys of one F-curve as flat arrays, in time order."""

    co: np.ndarray
    """(n, 2) frame and value."""
    handle_left: np.ndarray
    handle_right: np.ndarray
    interpolation: np.ndarray
    """(n,) interpolation of the segment that starts at each key."""
    kind: np.ndarray
    """(n,) key type."""

    def __len__(self) -> int:
        return len(self.co)

    @property
    def x(self) -> np.ndarray:
        return self.co[:, 0]

    @property
    def y(self) -> np.ndarray:
        return self.co[:, 1]

    @classmethod
    def empty(cls) -> Keys:
        return cls(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros((0, 2)),
                   np.zeros(0, np.int32), np.zeros(0, np.int32))

    def take(self, index: np.ndarray | slice) -> Keys:
        return Keys(self.co[index], self.handle_left[index], self.handle_right[index],
                    self.interpolation[index], self.kind[index])

    def as_float32(self) -> Keys:
        """The keys as Blender stores them (single precision), to check what will really play."""
        f32 = [np.asarray(a, np.float32).astype(np.float64) for a in (self.co, self.handle_left,
                                                                      self.handle_right)]
        return Keys(*f32, self.interpolation, self.kind)


def _handles(x: np.ndarray, y: np.ndarray, linear: np.ndarray,
             owner: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Handles one third into each segment: flat for smooth segments, on the line for linear ones.

    ``linear[i]`` says whether the segment from key i to key i+1 is linear. ``owner`` (piece index
    per key) keeps segments from running between pieces; a piece's outer handles mirror its
    neighbouring segment and are flat.
    """
    n = len(x)
    own = np.zeros(n, np.int64) if owner is None else owner
    inside = own[1:] == own[:-1]
    dx, dy = np.diff(x), np.diff(y)
    next_in, prev_in = np.r_[inside, False], np.r_[False, inside]
    next_dx, prev_dx = np.r_[dx, 0.0], np.r_[0.0, dx]
    next_dy, prev_dy = np.r_[dy, 0.0], np.r_[0.0, dy]
    prev_linear = np.r_[False, linear[:-1]]
    reach_right = np.where(next_in, next_dx, np.where(prev_in, prev_dx, 1.0)) / 3.0
    reach_left = np.where(prev_in, prev_dx, np.where(next_in, next_dx, 1.0)) / 3.0
    right = np.column_stack([x + reach_right, y + np.where(next_in & linear, next_dy / 3.0, 0.0)])
    left = np.column_stack([x - reach_left, y - np.where(prev_in & prev_linear, prev_dy / 3.0, 0.0)])
    return left, right


def keyable(x: np.ndarray) -> np.ndarray:
    """Which events (rows of onset, apex, apex_end, offset in frames) keys can reproduce: those that
    rise and fall over some time. A step (zero-length rise or fall) cannot be an F-curve segment."""
    x = np.atleast_2d(x)
    return (x[:, 1] - x[:, 0] >= SAME_TIME) & (x[:, 3] - x[:, 2] >= SAME_TIME) & (x[:, 2] >= x[:, 1])


def events_keys(x: np.ndarray, intensity: np.ndarray, linear: np.ndarray) -> tuple[Keys, np.ndarray]:
    """The keys of many keyable events at once, in row order, and the row each key belongs to.

    Rows of ``x`` are onset, apex, apex_end, offset in frames. Each event gets onset, apex,
    apex_end (only if it holds) and offset keys.
    """
    x = np.atleast_2d(np.asarray(x, float))
    n = len(x)
    hold = x[:, 2] - x[:, 1] >= SAME_TIME
    keep = np.ones((n, 4), bool)
    keep[:, 2] = hold
    level = np.asarray(intensity, float)
    ys = np.column_stack([np.zeros(n), level, level, np.zeros(n)])
    lin = np.asarray(linear, bool)
    # Interpolation of the segment each key starts: rise, hold (or fall), fall, rest.
    seg_linear = np.column_stack([lin, hold | lin, lin, np.ones(n, bool)])
    kinds = np.broadcast_to(np.array([KEYFRAME, EXTREME, EXTREME, KEYFRAME], np.int32), (n, 4))
    owner = np.broadcast_to(np.arange(n)[:, None], (n, 4))[keep]
    kx, ky, kl = x[keep], ys[keep], seg_linear[keep]
    left, right = _handles(kx, ky, kl, owner)
    interp = np.where(kl, LINEAR, BEZIER).astype(np.int32)
    return Keys(np.column_stack([kx, ky]), left, right, interp, kinds[keep].copy()), owner


def event_keys(onset: float, apex: float, apex_end: float, offset: float, intensity: float, *,
               ease: str = "smooth") -> Keys | None:
    """The keys of one event (frames), or None if it steps (see :func:`keyable`)."""
    x = np.array([[onset, apex, apex_end, offset]], float)
    if not keyable(x)[0]:
        return None
    return events_keys(x, np.array([intensity]), np.array([ease == "linear"]))[0]


def dense_keys(frames: np.ndarray, values: np.ndarray) -> Keys:
    """Per-frame samples as LINEAR keys, dropping keys inside runs of equal values (lossless)."""
    frames = np.asarray(frames, float)
    values = np.asarray(values, float)
    if len(frames) == 0:
        return Keys.empty()
    keep = np.ones(len(values), bool)
    if len(values) > 2:
        inner = (np.abs(values[1:-1] - values[:-2]) <= ZERO) & (np.abs(values[1:-1] - values[2:]) <= ZERO)
        contiguous = (frames[1:-1] - frames[:-2] == 1.0) & (frames[2:] - frames[1:-1] == 1.0)
        keep[1:-1] = ~(inner & contiguous)
    x, y = frames[keep], values[keep]
    left, right = _handles(x, y, np.ones(len(x), bool))
    n = len(x)
    return Keys(np.column_stack([x, y]), left, right, np.full(n, LINEAR, np.int32),
                np.full(n, GENERATED, np.int32))


def merge_keys(parts: Iterable[Keys]) -> Keys:
    """Keys of several pieces in time order; keys at the same time become one.

    The merged key keeps the left handle of the earlier piece and the right handle, interpolation
    and type of the later one, so two touching events share their zero key without a kink.
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return Keys.empty()
    co = np.concatenate([p.co for p in parts])
    hl = np.concatenate([p.handle_left for p in parts])
    hr = np.concatenate([p.handle_right for p in parts])
    interp = np.concatenate([p.interpolation for p in parts])
    kind = np.concatenate([p.kind for p in parts])
    # At equal times a piece's last key sorts before another piece's first key: the earlier one.
    rank = np.concatenate([np.r_[np.ones(len(p) - 1), 0.0] if len(p) > 1 else np.ones(1) for p in parts])
    order = np.lexsort((rank, co[:, 0]))
    co, hl, hr, interp, kind = co[order], hl[order], hr[order], interp[order], kind[order]
    dup = np.flatnonzero(np.diff(co[:, 0]) < SAME_TIME)  # key dup+1 merges into key dup
    if len(dup):
        hl[dup + 1] = hl[dup]
        keep = np.ones(len(co), bool)
        keep[dup] = False
        co, hl, hr, interp, kind = co[keep], hl[keep], hr[keep], interp[keep], kind[keep]
    return Keys(co, hl, hr, interp, kind)


def _bezier_y(x: np.ndarray, p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray) -> np.ndarray:
    """y of cubic Bezier segments at x.

    Where the handles sit at exactly a third of the segment (what :func:`events_keys` writes),
    x(s) is linear and s follows directly; elsewhere x(s) = x is solved by bisection (Blender keeps
    x(s) monotonic).
    """
    span = p3[:, 0] - p0[:, 0]
    scale = np.maximum(np.abs(p3[:, 0]), 1.0) * 1e-12
    thirds = ((np.abs(p1[:, 0] - (p0[:, 0] + span / 3)) <= scale)
              & (np.abs(p2[:, 0] - (p3[:, 0] - span / 3)) <= scale))
    s = np.clip((x - p0[:, 0]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    if not thirds.all():
        hard = ~thirds
        lo, hi = np.zeros(int(hard.sum())), np.ones(int(hard.sum()))
        q0, q1, q2, q3, xh = p0[hard, 0], p1[hard, 0], p2[hard, 0], p3[hard, 0], x[hard]
        for _ in range(48):
            mid = 0.5 * (lo + hi)
            below = _bernstein(mid, q0, q1, q2, q3) < xh
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        s[hard] = 0.5 * (lo + hi)
    return _bernstein(s, p0[:, 1], p1[:, 1], p2[:, 1], p3[:, 1])


def _bernstein(s: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    u = 1.0 - s
    return u * u * u * a + 3.0 * u * u * s * b + 3.0 * u * s * s * c + s * s * s * d


def evaluate_keys(keys: Keys, x: np.ndarray) -> np.ndarray:
    """The curve's value at frames ``x``, as Blender evaluates it (constant extrapolation)."""
    x = np.asarray(x, float)
    if len(keys) == 0:
        return np.zeros_like(x)
    kx, ky = keys.x, keys.y
    out = np.empty_like(x)
    out[x <= kx[0]] = ky[0]
    out[x >= kx[-1]] = ky[-1]
    inside = (x > kx[0]) & (x < kx[-1])
    xi = x[inside]
    seg = np.clip(np.searchsorted(kx, xi, side="right") - 1, 0, len(kx) - 2)
    x0, x1, y0, y1 = kx[seg], kx[seg + 1], ky[seg], ky[seg + 1]
    mode = keys.interpolation[seg]
    val = np.where(mode == CONSTANT, y0, y0 + (y1 - y0) * (xi - x0) / np.maximum(x1 - x0, 1e-12))
    bez = mode == BEZIER
    if bez.any():
        b = seg[bez]
        val[bez] = _bezier_y(xi[bez], keys.co[b], keys.handle_right[b], keys.handle_left[b + 1],
                             keys.co[b + 1])
    out[inside] = val
    return out


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


@dataclass(frozen=True)
class KeyedEvent:
    """An event read back from keys (frames)."""

    onset: float
    apex: float
    apex_end: float
    offset: float
    intensity: float
    ease: str


def read_events(keys: Keys, tol: float = 1e-4) -> tuple[list[KeyedEvent], list[tuple[int, int]]]:
    """Events written by :func:`event_keys` found in ``keys``, and the index ranges of all other keys.

    An event is a zero key, one or two keys at the same positive value, then a zero key, none of
    them per-frame samples. Touching events share their zero key. Anything else (samples, edited
    keys) comes back as inclusive ``(first, last)`` key ranges for the caller to sample.
    """
    y = keys.y
    x = keys.x
    n = len(keys)
    events: list[KeyedEvent] = []
    used = np.zeros(n, bool)
    i = 0
    while i < n - 2:
        sample = keys.kind[i:i + 4] == GENERATED
        if abs(y[i]) > tol or sample[:3].any() or y[i + 1] <= tol:
            i += 1
            continue
        level = y[i + 1]
        if abs(y[i + 2]) <= tol:
            last, hold_end = i + 2, i + 1
        elif i + 3 < n and abs(y[i + 2] - level) <= tol and abs(y[i + 3]) <= tol and not sample[3]:
            last, hold_end = i + 3, i + 2
        else:
            i += 1
            continue
        ease = "linear" if keys.interpolation[i] == LINEAR else "smooth"
        events.append(KeyedEvent(x[i], x[i + 1], x[hold_end], x[last], float(level), ease))
        used[i:last + 1] = True
        i = last
    rest: list[tuple[int, int]] = []
    free = np.flatnonzero(~used & (np.abs(y) > tol))
    if len(free):
        breaks = np.flatnonzero(np.diff(free) > 1)
        starts = np.r_[free[0], free[breaks + 1]]
        ends = np.r_[free[breaks], free[-1]]
        rest = [(int(max(s - 1, 0)), int(min(e + 1, n - 1))) for s, e in zip(starts, ends, strict=True)]
    return events, rest


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


def to_frames(seconds: np.ndarray | float, fps: float, start_frame: float) -> np.ndarray:
    """Frame of a time in seconds: time 0 is ``start_frame``; sub-frame positions are kept."""
    return start_frame + np.asarray(seconds, float) * fps


def plan_timeline(timeline: Timeline, fps: float, start_frame: float = 1.0, *, resolve: bool = False,
                  tol: float = 5e-4) -> CurvePlan:
    """Keys for every control the timeline moves, at ``fps`` with time 0 on ``start_frame``.

    ``resolve`` is passed to the core's evaluation: the rig's drivers apply the exclusion rules
    themselves, so controls are keyed with unresolved values by default.
    """
    first, last = time_span(timeline)
    lo = int(np.floor(to_frames(first, fps, start_frame))) - 1
    hi = int(np.ceil(to_frames(last, fps, start_frame))) + 1
    frames = np.arange(lo, hi + 1, dtype=float)
    curves = evaluate(timeline, (frames - start_frame) / fps, resolve=resolve)
    index = {c: i for i, c in enumerate(curves.controls)}
    # One row per event or track and channel: control, onset, apex, apex_end, offset, intensity
    # (NaN for tracks, which are always sampled), linear.
    rows: list[tuple[float, ...]] = [
        (index[control_name(ev.au, ch)], ev.onset, ev.apex, ev.apex_end, ev.offset, ev.intensity,
         ev.ease == "linear")
        for ev in timeline.events for ch in channels_for_side(ev.au, ev.side)]
    for tr in timeline.tracks:
        if len(tr.times):
            t0, t1 = float(np.nanmin(tr.times)), float(np.nanmax(tr.times))
            rows += [(index[control_name(tr.au, ch)], t0, t0, t1, t1, np.nan, False)
                     for ch in channels_for_side(tr.au, tr.side)]
    table = np.array(rows, float).reshape(-1, 7)
    table = table[np.argsort(table[:, 0], kind="stable")]
    control = table[:, 0].astype(np.int64)
    x = to_frames(table[:, 1:5], fps, start_frame)
    can = np.flatnonzero(~np.isnan(table[:, 5]) & keyable(x)) if len(x) else np.zeros(0, np.int64)
    all_keys, key_row = events_keys(x[can], table[can, 5], table[can, 6] > 0)
    key_row = can[key_row]
    reference = np.asarray(curves.values, float).reshape(len(curves.controls), len(frames))
    ends = np.arange(len(curves.controls) + 1)
    rows_at, keys_at = np.searchsorted(control, ends), np.searchsorted(control[key_row], ends)
    keys = {}
    for i, name in enumerate(curves.controls):
        r0, r1, k0, k1 = rows_at[i], rows_at[i + 1], keys_at[i], keys_at[i + 1]
        keys[name] = plan_curve(frames, reference[i], starts=x[r0:r1, 0], ends=x[r0:r1, 3],
                                keys=all_keys.take(slice(k0, k1)), owner=key_row[k0:k1] - r0, tol=tol)
    return CurvePlan(frames, list(curves.controls), reference, keys, fps, start_frame)


def _run_frames(keys: Keys, first: int, last: int, start_frame: float, end_frame: float | None) -> np.ndarray:
    """Frames to sample keys ``first..last`` at: the whole frames between them, none before time 0.

    A curve holds its first and last key's value outside its keys, but a track moves nothing
    outside its samples; so a run that starts (ends) the curve on a non-zero key reaches back to
    time 0 (on to ``end_frame``), and a run cut at time 0 starts with a sample there. Without this a
    pose keyed once (Key All) would come back as a one-frame blip.
    """
    lo, hi = keys.x[first], keys.x[last]
    if first == 0 and abs(keys.y[0]) > ZERO:
        lo = min(lo, start_frame)
    if end_frame is not None and last == len(keys) - 1 and abs(keys.y[-1]) > ZERO:
        hi = max(hi, end_frame)
    frames = np.arange(np.ceil(max(lo, start_frame)), np.floor(hi) + 1)
    if lo <= start_frame <= hi and (not len(frames) or frames[0] > start_frame):
        frames = np.r_[start_frame, frames]
    if hi == end_frame and hi >= start_frame and (not len(frames) or frames[-1] < hi):
        frames = np.r_[frames, hi]
    return frames


def timeline_from_keys(curves: Mapping[str, Keys], fps: float, start_frame: float = 1.0, *,
                       stored: Timeline | None = None, name: str = "", end: float | None = None,
                       tol: float = 1e-3) -> Timeline:
    """The timeline a set of control curves plays from time 0 (``start_frame``) on: events from
    event keys, tracks from the rest.

    Per-frame samples are where :func:`plan_timeline` could not write events (overlaps, tracks).
    When ``stored`` (the timeline that was applied) still evaluates to those samples, the keys are
    unedited and its events of that control come back; otherwise the samples become a track.
    Events with the same timing on every channel of an AU merge into one ``both`` event. Keys
    before time 0 are left out; a curve that ends on a non-zero key holds it until ``end``
    (seconds; None: not past its last key), as the curve plays in Blender.
    """
    end_frame = None if end is None else float(to_frames(end, fps, start_frame))
    found: dict[int, list[tuple[KeyedEvent, str]]] = {}
    runs: list[tuple[str, np.ndarray, np.ndarray]] = []
    for control, keys in sorted(curves.items()):
        au, channel = parse_control_name(control)
        keyed, rest = read_events(keys)
        cut = [ev for ev in keyed if ev.onset < start_frame - SAME_TIME]  # across time 0: samples
        found.setdefault(au, []).extend((ev, channel) for ev in keyed if ev not in cut)
        rest += [(int(np.searchsorted(keys.x, ev.onset)), int(np.searchsorted(keys.x, ev.offset)))
                 for ev in cut]
        for first, last in rest:
            frames = _run_frames(keys, first, last, start_frame, end_frame)
            if len(frames):
                runs.append((control, frames, evaluate_keys(keys, frames)))
    source = None
    if stored is not None and runs:
        source = _Stored(stored, np.concatenate([r[1] for r in runs]), fps, start_frame)
    samples: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    picked: dict[str, set[int]] = {}
    for control, frames, values in runs:
        made_by = source.events_for(control, frames, values, tol) if source else None
        if made_by is None:
            samples.setdefault(control, []).append((frames, values))
        else:
            picked.setdefault(control, set()).update(made_by)
    for control, indexes in picked.items():
        au, channel = parse_control_name(control)
        for i in sorted(indexes):
            e = stored.events[i]  # type: ignore[union-attr]
            f = to_frames([e.onset, e.apex, e.apex_end, e.offset], fps, start_frame)
            found[au].append((KeyedEvent(*map(float, f), e.intensity, e.ease), channel))
    tracks = []
    for control, parts in samples.items():
        au, channel = parse_control_name(control)
        times = np.concatenate([_seconds(p[0], fps, start_frame) for p in parts])
        values = np.concatenate([p[1] for p in parts])
        tracks.append(Track(au, channel or "both", times, np.round(values, DIGITS), source=control))
    events = [ev for au, entries in found.items() for ev in _merge_channels(au, entries, fps, start_frame)]
    events.sort(key=lambda e: (e.onset, e.au, e.side))
    return Timeline(events=events, tracks=_merge_tracks(tracks), fps=fps,
                    overlap=stored.overlap if stored else "max", name=name or (stored.name if stored else ""))


def _seconds(frames: np.ndarray, fps: float, start_frame: float) -> np.ndarray:
    """Times of samples at ``frames`` to :data:`DIGITS` decimals, the ends moved out by one digit
    where rounding moved them in: a track is 0 outside its samples, so it must still cover the
    frames it was sampled at when it is applied again."""
    exact = (frames - start_frame) / fps
    times = np.round(exact, DIGITS)
    step = 10.0**-DIGITS
    if times[0] > exact[0]:
        times[0] -= step
    if times[-1] < exact[-1]:
        times[-1] += step
    return times


class _Stored:
    """The timeline that was applied, evaluated once at every sampled frame, to tell unedited
    samples (which its events made) from edited ones."""

    def __init__(self, timeline: Timeline, frames: np.ndarray, fps: float, start_frame: float) -> None:
        self.timeline = timeline
        self.frames = np.unique(frames)
        self.fps, self.start_frame = fps, start_frame
        self.curves = evaluate(timeline, (self.frames - start_frame) / fps, resolve=False)
        self.tracked = {control_name(tr.au, ch) for tr in timeline.tracks
                        for ch in channels_for_side(tr.au, tr.side)}
        self.events: dict[str, list[int]] = {}
        for i, e in enumerate(timeline.events):
            for ch in channels_for_side(e.au, e.side):
                self.events.setdefault(control_name(e.au, ch), []).append(i)

    def events_for(self, control: str, frames: np.ndarray, values: np.ndarray,
                   tol: float) -> list[int] | None:
        """Indexes of the events that made these samples, or None if the samples say otherwise."""
        if control in self.tracked or control not in self.curves.controls or len(frames) == 0:
            return None
        ref = self.curves.get(control)[np.searchsorted(self.frames, frames)]
        if np.abs(ref - values).max() > tol:
            return None
        lo, hi = (frames[[0, -1]] - self.start_frame) / self.fps
        events = self.timeline.events
        return [i for i in self.events.get(control, []) if events[i].offset > lo and events[i].onset < hi]


def _same_event(other: KeyedEvent, ev: KeyedEvent, timing: np.ndarray) -> bool:
    """Whether two keyed events are one event on two channels (within float32 key precision)."""
    return (np.abs(timing - [other.onset, other.apex, other.apex_end, other.offset]).max() <= 0.01
            and abs(other.intensity - ev.intensity) <= 1e-3 and other.ease == ev.ease)


def _merge_channels(au: int, entries: list[tuple[KeyedEvent, str]], fps: float,
                    start_frame: float) -> list[Event]:
    """One ``both`` event where every channel of the AU has the same event, else one per channel."""
    groups: list[tuple[KeyedEvent, set[str]]] = []
    for ev, channel in sorted(entries, key=lambda item: item[0].onset):
        timing = np.array([ev.onset, ev.apex, ev.apex_end, ev.offset])
        earliest = ev.onset - 0.01
        near = takewhile(lambda g, earliest=earliest: g[0].onset >= earliest, reversed(groups))
        match = next((g for g in near if channel not in g[1] and _same_event(g[0], ev, timing)), None)
        if match is None:
            groups.append((ev, {channel}))
        else:
            match[1].add(channel)
    full = set(get_au(au).channels)
    out = []
    for ev, channels in groups:
        t = np.round((np.array([ev.onset, ev.apex, ev.apex_end, ev.offset]) - start_frame) / fps, DIGITS)
        for side in ["both"] if channels == full else sorted(channels):
            out.append(Event(au, round(ev.intensity, DIGITS), float(t[0]), float(t[1]), float(t[2]),
                             float(t[3]), side=side, ease=ev.ease))  # type: ignore[arg-type]
    return out


def _merge_tracks(tracks: list[Track]) -> list[Track]:
    """One ``both`` track where every channel of an AU has the same samples."""
    out: list[Track] = []
    by_au: dict[int, list[Track]] = {}
    for tr in tracks:
        by_au.setdefault(tr.au, []).append(tr)
    for au, group in by_au.items():
        first = group[0]
        same = all(np.array_equal(t.times, first.times) and np.array_equal(t.values, first.values)
                   for t in group[1:])
        sides = [t.side for t in group]
        if same and len(group) > 1 and sorted(sides) == sorted(get_au(au).channels):
            out.append(Track(au, "both", first.times, first.values, source=first.source))
        else:
            out += group
    return out
