# SPDX-License-Identifier: GPL-3.0-or-later
"""Timeline → per-control activation curves, vectorised with numpy.

This is the reference the keyframer and the rig are tested against, so every rule lives here once:

- an event is 0 before ``onset``, eases up to its intensity at ``apex``, holds until ``apex_end``,
  eases down to 0 at ``offset`` and is 0 after it. ``smooth`` is the cubic ``3u² − 2u³`` of the
  phase fraction u (a Bezier key pair with flat handles at a third of the segment is exactly this
  curve); ``linear`` is u. A zero-length rise or fall is a step: the event is at full intensity
  at ``onset == apex`` (and at ``apex_end == offset``).
- events and tracks on the same control combine by the timeline's ``overlap``: ``max`` or ``sum``
  (then clamped to 1);
- tracks interpolate linearly between samples and contribute nothing outside their first..last
  time. Gaps (NaN samples) either hold the last tracked value (``gaps="hold"``, the default: a
  face lost for a few frames keeps its expression) or stay NaN in the output (``gaps="nan"``) so a
  keyframer can leave them unkeyed;
- values are clamped to 0..1, then mutually exclusive AUs are resolved with
  :func:`combinations.resolve_exclusions`.

Only the samples inside each event's onset..offset are computed, which is what makes 2,000
events over ten minutes at 60 fps cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .catalogue import channels_for_side, control_sort_key
from .combinations import resolve_exclusions
from .errors import FacsError
from .model import Event, Timeline, Track, control_name

Gaps = Literal["hold", "nan"]
EASES = ("smooth", "linear")


@dataclass
class Curves:
    """Activation curves: ``values[i]`` is control ``controls[i]`` sampled at ``times``."""

    controls: list[str]
    values: np.ndarray  # (n_controls, n_times)
    times: np.ndarray | None = None

    def get(self, control: str) -> np.ndarray:
        """The curve of a control; zeros for a control the timeline never touches."""
        try:
            return np.asarray(self.values[self.controls.index(control)])
        except ValueError:
            return np.zeros(self.values.shape[1])

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(zip(self.controls, self.values, strict=True))


def ease_value(t: np.ndarray | float, ease: str = "smooth") -> np.ndarray:
    """The ease curve at phase fraction ``t`` (clipped to 0..1)."""
    u = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if ease == "smooth":
        return np.asarray(u * u * (3.0 - 2.0 * u))
    if ease == "linear":
        return u
    raise FacsError(f"unknown ease {ease!r}; use {' or '.join(EASES)}")


_Param = np.ndarray | np.floating[Any]
"""An event parameter of :func:`_shape`: one per event, or one event's as a scalar."""


def _shape(t: np.ndarray, onset: _Param, apex: _Param, apex_end: _Param, offset: _Param, *,
           intensity: _Param, linear: np.ndarray | np.bool_) -> np.ndarray:
    """Envelope values for matching arrays of sample times and event parameters."""
    rise_len = apex - onset
    fall_len = offset - apex_end
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.where(rise_len > 0, (t - onset) / np.where(rise_len > 0, rise_len, 1.0), 1.0)
        fall = np.where(fall_len > 0, (offset - t) / np.where(fall_len > 0, fall_len, 1.0), 1.0)
    u = np.clip(np.minimum(rise, fall), 0.0, 1.0)
    eased = np.where(linear, u, u * u * (3.0 - 2.0 * u))
    inside = (t >= onset) & (t <= offset)
    return np.where(inside, intensity * eased, 0.0)


def envelope(event: Event, times: np.ndarray | Sequence[float]) -> np.ndarray:
    """The value of one event at ``times`` (its intensity times the eased phase shape)."""
    if event.ease not in EASES:
        raise FacsError(f"unknown ease {event.ease!r}; use {' or '.join(EASES)}")
    t = np.asarray(times, dtype=float)
    return _shape(t, *(np.float64(v) for v in (event.onset, event.apex, event.apex_end, event.offset)),
                  intensity=np.float64(event.intensity), linear=np.bool_(event.ease == "linear"))


def _track_values(track: Track, times: np.ndarray, gaps: Gaps) -> tuple[np.ndarray, np.ndarray]:
    """A track at sorted ``times`` and the mask of times inside its first..last sample.

    Values are NaN where the track says nothing: outside its range, before its first tracked
    sample, and (with ``gaps="nan"``) inside gaps.
    """
    t = np.asarray(track.times, dtype=float)
    v = np.asarray(track.values, dtype=float)
    out = np.full(times.shape, np.nan)
    if len(t) == 0:
        return out, np.zeros(times.shape, dtype=bool)
    inside = (times >= t[0]) & (times <= t[-1])
    if gaps == "hold":
        valid = ~np.isnan(v)
        last = np.maximum.accumulate(np.where(valid, np.arange(len(v)), -1))
        started = last >= 0
        if started.any():
            out[inside] = np.interp(times[inside], t[started], v[last[started]], left=np.nan)
    else:
        idx = np.clip(np.searchsorted(t, times[inside], side="right") - 1, 0, len(t) - 1)
        nxt = np.minimum(idx + 1, len(t) - 1)
        span = np.where(t[nxt] > t[idx], t[nxt] - t[idx], 1.0)
        frac = np.clip((times[inside] - t[idx]) / span, 0.0, 1.0)
        at_sample = times[inside] == t[idx]
        out[inside] = np.where(at_sample, v[idx], v[idx] + (v[nxt] - v[idx]) * frac)
    return out, inside


def evaluate(timeline: Timeline, times: np.ndarray | Sequence[float], *, resolve: bool = True,
             gaps: Gaps = "hold") -> Curves:
    """Sample every control a timeline touches at ``times`` (seconds, any order).

    Controls are listed by AU number then channel; an event on side ``both`` touches every channel
    of its AU. Values are clamped to 0..1 and, with ``resolve``, exclusions are resolved.
    """
    if gaps not in ("hold", "nan"):
        raise FacsError(f"gaps must be 'hold' or 'nan', got {gaps!r}")
    t_in = np.asarray(times, dtype=float).ravel()
    order = np.argsort(t_in, kind="stable")
    ts = t_in[order]

    rows: list[tuple[str, Event]] = [
        (control_name(e.au, ch), e) for e in timeline.events for ch in channels_for_side(e.au, e.side)
    ]
    track_rows = [
        (control_name(tr.au, ch), tr) for tr in timeline.tracks for ch in channels_for_side(tr.au, tr.side)
    ]
    controls = sorted({c for c, _ in rows} | {c for c, _ in track_rows}, key=control_sort_key)
    index = {c: i for i, c in enumerate(controls)}
    n_times = len(ts)
    out = np.zeros((len(controls), n_times))
    summing = timeline.overlap == "sum"

    if rows and n_times:
        ctrl = np.fromiter((index[c] for c, _ in rows), dtype=np.int64, count=len(rows))
        params = np.array([(e.onset, e.apex, e.apex_end, e.offset, e.intensity) for _, e in rows],
                          dtype=float)
        linear = np.array([e.ease == "linear" for _, e in rows])
        if any(e.ease not in EASES for _, e in rows):
            raise FacsError(f"unknown ease; use {' or '.join(EASES)}")
        start = np.searchsorted(ts, params[:, 0], side="left")
        stop = np.searchsorted(ts, params[:, 3], side="right")
        counts = np.maximum(stop - start, 0)
        row_of = np.repeat(np.arange(len(rows)), counts)
        first = np.cumsum(counts) - counts
        sample = np.arange(int(counts.sum())) - np.repeat(first, counts) + start[row_of]
        p = params[row_of]
        vals = _shape(ts[sample], p[:, 0], p[:, 1], p[:, 2], p[:, 3],
                      intensity=p[:, 4], linear=linear[row_of])
        flat = ctrl[row_of] * n_times + sample
        if summing:
            out += np.bincount(flat, weights=vals, minlength=out.size).reshape(out.shape)
        else:
            np.maximum.at(out.reshape(-1), flat, vals)

    gap_mask = np.zeros(out.shape, dtype=bool)
    for name, track in track_rows:
        i = index[name]
        vals, inside = _track_values(track, ts, gaps)
        missing = np.isnan(vals)
        if gaps == "nan":
            gap_mask[i] |= missing & inside
        vals = np.where(missing, 0.0, vals)
        out[i] = out[i] + vals if summing else np.maximum(out[i], vals)

    np.clip(out, 0.0, 1.0, out=out)
    out[gap_mask] = np.nan
    if resolve and controls:
        resolved = resolve_exclusions(dict(zip(controls, out, strict=True)))
        out = np.array([resolved[c] for c in controls]).reshape(out.shape)
    values = np.empty_like(out)
    values[:, order] = out
    return Curves(controls, values, t_in)
