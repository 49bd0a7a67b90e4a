# SPDX-License-Identifier: GPL-3.0-or-later
"""Cutting an imported take into timelines that ``validate`` and ``animate`` accept.

A timeline file holds at most :data:`~..core.timeline.MAX_BYTES` and plays within Blender's
:data:`~..core.timing.MAX_FRAME` frames, but a tracker happily records for hours: a one-million-row
take as dense tracks is hundreds of megabytes of JSON. Rather than write a file its own ``validate``
refuses, ``convert`` writes consecutive parts, each a whole timeline starting at 0 s, with
``meta.import.part`` saying where in the take it starts, so the parts can be played one after another.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core.files import FileError, PathLike, check_outputs, replaced_on_success
from ..core.model import Event, Timeline, Track
from ..core.timeline import MAX_BYTES, dumps, loads
from ..core.timing import DEFAULT_FPS, DEFAULT_START_FRAME, MAX_FRAME, time_span

FILL = 0.9
"""Parts are planned to this fraction of the byte and frame limits: the size is estimated from
a sample of the take, and numbers further into it can be a digit longer."""
SAMPLE = 2000
"""Samples per track (and events), spread over the take, dumped to estimate the size of the whole."""
DECIMALS = 6
"""Times of a part are rounded to the microsecond after the shift to 0 s, so the subtraction's
rounding noise (``0.6669999999999163``) does not make every number 19 characters long."""


def split_timeline(timeline: Timeline, *, max_bytes: int = MAX_BYTES) -> list[Timeline]:
    """``[timeline]`` when it fits, else consecutive parts of equal duration that each should: the
    caller still checks every part as ``validate`` does (an estimate is not a promise)."""
    start, end = time_span(timeline)
    fps = timeline.fps or DEFAULT_FPS
    by_frames = (end - start) * fps / (FILL * (MAX_FRAME - DEFAULT_START_FRAME))
    count = max(1, math.ceil(_estimated_bytes(timeline) / (FILL * max_bytes)), math.ceil(by_frames))
    if count == 1:
        return [timeline]
    bounds = start + (end - start) * np.arange(count + 1) / count
    bounds[-1] = np.inf
    return [_part(timeline, float(bounds[i]), float(bounds[i + 1]), i, count) for i in range(count)]


def write_timeline(
    timeline: Timeline, target: Path, *, role: str, inputs: Mapping[str, PathLike | None]
) -> tuple[list[Timeline], list[Path]]:
    """Write ``timeline`` to ``target``, or as ``target.partNN`` files when it does not fit one, each
    checked as ``validate`` checks it before anything is moved into place: every command that
    records or imports a take writes it this one way. ``target`` itself was checked against
    ``inputs`` before the work began; the parts' names are known only now."""
    parts = split_timeline(timeline)
    targets = [target] if len(parts) == 1 else [part_path(target, i, len(parts)) for i in range(len(parts))]
    if len(parts) > 1:
        check_outputs({f"{role} part {i + 1}": t for i, t in enumerate(targets)}, inputs)
    try:
        with replaced_on_success(*targets) as temps:
            for part, tmp, final in zip(parts, temps, targets, strict=True):
                text = dumps(part)
                loads(text, filename=str(final))  # refused here exactly as `validate` would refuse it
                tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FileError(target, f"cannot write: {exc.strerror or exc}") from None
    return parts, targets


def part_path(target: Path, index: int, count: int) -> Path:
    """``take.json`` -> ``take.part01.json`` ...: the parts sort in playing order."""
    return target.with_name(f"{target.stem}.part{index + 1:0{len(str(count))}d}{target.suffix}")


def _estimated_bytes(timeline: Timeline) -> float:
    """JSON size from dumping a few samples of each track and a few events, scaled up."""
    empty = replace(timeline, events=[], tracks=[])
    base = len(dumps(empty))
    size = float(base)
    for track in timeline.tracks:
        pick = _spread(len(track.times))
        sample = Track(track.au, track.side, track.times[pick], track.values[pick], track.source)
        size += (len(dumps(replace(empty, tracks=[sample]))) - base) * len(track.times) / max(len(pick), 1)
    if timeline.events:
        events = [timeline.events[i] for i in _spread(len(timeline.events))]
        size += (len(dumps(replace(empty, events=events))) - base) * len(timeline.events) / len(events)
    return size


def _spread(count: int) -> np.ndarray:
    """Up to :data:`SAMPLE` indices spread evenly over ``range(count)``: numbers late in a take are
    longer (``3333.3`` against ``0.1``) than the first ones."""
    return np.unique(np.linspace(0, count - 1, min(count, SAMPLE)).astype(int)) if count else np.zeros(0, int)


def _part(timeline: Timeline, start: float, stop: float, index: int, count: int) -> Timeline:
    """The samples and the events (by onset) in ``start <= t < stop``, shifted to start at 0."""
    tracks = []
    for track in timeline.tracks:
        i, j = np.searchsorted(track.times, [start, stop])
        if j > i:
            tracks.append(Track(track.au, track.side, np.round(track.times[i:j] - start, DECIMALS),
                                track.values[i:j], track.source))
    events = [_shifted(e, start) for e in timeline.events if start <= e.onset < stop]
    meta = dict(timeline.meta)
    meta["import"] = {**meta.get("import", {}), "part": {"index": index + 1, "of": count, "start": start}}
    name = f"{timeline.name} part {index + 1} of {count}" if timeline.name else ""
    return replace(timeline, tracks=tracks, events=events, meta=meta, name=name)


def _shifted(event: Event, by: float) -> Event:
    onset, apex, apex_end, offset = (round(t - by, DECIMALS) for t in
                                     (event.onset, event.apex, event.apex_end, event.offset))
    return replace(event, onset=onset, apex=apex, apex_end=apex_end, offset=offset)
