# SPDX-License-Identifier: GPL-3.0-or-later
"""Keys and Bezier handles for timeline events: the keyframer's maths, free of Blender.

An event's envelope eases up from onset to apex, holds to apex_end and eases down to offset. A cubic
Bezier segment whose handles lie flat at one third and two thirds of its span has x(s) linear in s
and y(s) = y0 + (y1 − y0)(3s² − 2s³), exactly the ``smooth`` ease; ``linear`` is a LINEAR segment
(its handles are put on the line so switching it to Bezier in the Graph Editor changes nothing). So
three or four keys reproduce an isolated event with no sampling error, sub-frame times included.

Where that is not enough (events of one control overlapping, dense tracks, combination rules
changing values) :mod:`.key_plan` writes per-frame samples of the core's evaluation instead, so
the F-curve always equals the reference at every frame; :mod:`.key_readback` finds events and
tracks in keys again (Export, Insert Event). This module is what both share: the :class:`Keys`
record and the maths of event, sample and merged keys and of their evaluation.

Arrays here use Blender's enum integers for interpolation and key type (plain data, no bpy), so the
keyframer hands them to ``foreach_set`` as they are. Times are frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

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
        co, left, right = (np.asarray(a, np.float32).astype(np.float64) for a in (self.co, self.handle_left,
                                                                                  self.handle_right))
        return Keys(co, left, right, self.interpolation, self.kind)


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
    return np.asarray((x[:, 1] - x[:, 0] >= SAME_TIME) & (x[:, 3] - x[:, 2] >= SAME_TIME)
                      & (x[:, 2] >= x[:, 1]))


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
    return np.asarray(u * u * u * a + 3.0 * u * u * s * b + 3.0 * u * s * s * c + s * s * s * d)


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


def to_frames(seconds: np.ndarray | float, fps: float, start_frame: float) -> np.ndarray:
    """Frame of a time in seconds: time 0 is ``start_frame``; sub-frame positions are kept."""
    return start_frame + np.asarray(seconds, float) * fps
