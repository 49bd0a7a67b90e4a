# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading keys back: the timeline a set of control curves plays (Export, Insert Event).

Event keys (:func:`.keys.event_keys`) become events again; everything else (samples, keys the user
edited) becomes tracks, unless the timeline that was applied still explains those samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import takewhile
from typing import cast

import numpy as np

from .catalogue import channels_for_side, get_au
from .evaluate import evaluate
from .keys import DIGITS, GENERATED, LINEAR, SAME_TIME, ZERO, Keys, evaluate_keys, to_frames
from .model import Event, Side, Timeline, Track, control_name, parse_control_name


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
            assert stored is not None  # only a stored timeline picks events
            e = stored.events[i]
            f = to_frames(np.array([e.onset, e.apex, e.apex_end, e.offset]), fps, start_frame)
            onset, apex, apex_end, offset = map(float, f)
            found[au].append((KeyedEvent(onset, apex, apex_end, offset, e.intensity, e.ease), channel))
    tracks = []
    for control, parts in samples.items():
        au, channel = parse_control_name(control)
        times = np.concatenate([_seconds(p[0], fps, start_frame) for p in parts])
        values = np.concatenate([p[1] for p in parts])
        side = cast(Side, channel or "both")
        tracks.append(Track(au, side, times, np.round(values, DIGITS), source=control))
    events = [ev for au, entries in found.items() for ev in _merge_channels(au, entries, fps, start_frame)]
    events.sort(key=lambda e: (e.onset, e.au, e.side))
    return Timeline(events=events, tracks=_merge_tracks(tracks), fps=fps,
                    overlap=stored.overlap if stored else "max", name=name or (stored.name if stored else ""))


def _seconds(frames: np.ndarray, fps: float, start_frame: float) -> np.ndarray:
    """Times of samples at ``frames`` to :data:`DIGITS` decimals, the ends moved out by one digit
    where rounding moved them in: a track is 0 outside its samples, so it must still cover the
    frames it was sampled at when it is applied again."""
    exact = (frames - start_frame) / fps
    times: np.ndarray = np.round(exact, DIGITS)
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
        near = takewhile(lambda g, earliest=earliest: g[0].onset >= earliest,  # type: ignore[misc]
                         reversed(groups))  # (mypy cannot type a lambda's default argument)
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
