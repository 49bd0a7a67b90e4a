# SPDX-License-Identifier: GPL-3.0-or-later
"""The facs-timeline JSON format, version 1 (docs/timeline.md): load, validate, write.

Loading checks the whole document and raises one :class:`TimelineError` listing every problem
with its JSON path, because a user fixing a file wants all the mistakes at once. What comes out is
already normalised: code and expression events are expanded to one :class:`Event` per AU and side,
times are seconds and intensities 0..1, so nothing downstream reads the raw JSON.
"""

from __future__ import annotations

import json
import math
import os
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np

from .catalogue import channels_for_side, get_au, normalise_au
from .codes import CodeItem, FacsCode, parse_code
from .combinations import Exclusion, exclusions
from .errors import FacsError, Problem, TimelineError
from .evaluate import EASES
from .expressions import get_expression
from .files import FileError, atomic_write_text
from .intensity import LETTERS, IntensityScale, scale_from_spec
from .jsondoc import (
    MAX_BYTES,
    Checker,
    DocumentError,
    decode_text,
    join,
    kind,
    number,
    parse_json,
    read_document_bytes,
)
from .jsondoc import string as json_string
from .model import Event, Side, Timeline, Track, control_name
from .timing import (
    DEFAULT_FPS,
    DEFAULT_START_FRAME,
    MAX_FRAME,
    frame_text,
    last_frame,
    sample_times,
    scene_rate,
    time_span,
)

__all__ = [
    "FORMAT", "MAX_BYTES", "VERSION", "TimelineError", "code_events", "dump", "dumps", "from_dict", "load",
    "loads", "sample_times", "time_span", "to_dict",
]

FORMAT = "facs-timeline"
VERSION = 1
MAX_PER_LIST = 3
"""Bad samples of one track array listed before the rest are counted in one line."""
BLINK_MAX_SECONDS = 0.5

TOP_KEYS = ("format", "version", "name", "fps", "time_unit", "intensity_scale", "overlap", "events",
            "tracks", "meta")
EVENT_KEYS = ("id", "au", "code", "expression", "side", "intensity", "onset", "apex", "apex_end",
              "offset", "ease")
TRACK_KEYS = ("au", "side", "times", "values")
SIDES = ("both", "L", "R", "T", "B")
TIME_UNITS = ("seconds", "frames")
OVERLAPS = ("max", "sum")
PHASES = ("onset", "apex", "apex_end", "offset")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _number(ck: Checker, path: str, value: Any, *, time: bool = False) -> float | None:
    """A finite float from a JSON number, or None after reporting why not."""
    result = ck.check(path, number, value)
    if result is not None and time and result < 0:
        ck.error(path, f"{_fmt(result)} is negative; times start at 0")
        return None
    return result


def _choice(ck: Checker, obj: Mapping[str, Any], key: str, base: str, options: tuple[str, ...], *,
            default: str) -> str | None:
    value = obj.get(key, default)
    if isinstance(value, str) and value in options:
        return value
    shown = repr(value) if isinstance(value, str) else kind(value)
    ck.error(join(base, key), f"{shown} is not one of {', '.join(repr(o) for o in options)}")
    return None


@dataclass
class _Context:
    """Document-level settings events and tracks are read with."""

    scale: IntensityScale
    to_seconds: float | None  # None when the time unit cannot be converted (fps invalid)
    fps: float = DEFAULT_FPS
    """Rate the times are checked against Blender's last frame with: the file's, else the default."""
    start_frame: float = DEFAULT_START_FRAME
    """Frame of time 0 for that check (a file does not say; Blender's default scene starts at 1)."""

    def past_last_frame(self, path: str, seconds: float, ck: Checker) -> bool:
        """Whether a time lands past Blender's last frame (reported)."""
        frame = last_frame(seconds, self.fps, self.start_frame)
        if frame <= MAX_FRAME:
            return False
        ck.error(path, f"{_fmt(seconds)} s is frame {frame_text(frame)} at {_fmt(self.fps)} fps, past "
                       f"Blender's last frame {MAX_FRAME}")
        return True


def _intensity(ck: Checker, path: str, value: Any, scale: IntensityScale) -> float | None:
    if isinstance(value, str):
        if value in LETTERS:
            return scale.to_value(value)
        hint = f" (letters are upper case: {value.upper()!r})" if value.upper() in LETTERS else ""
        ck.error(path, f"{value!r} is not an intensity letter A..E{hint}")
        return None
    number = _number(ck, path, value)
    if number is not None and not 0.0 <= number <= 1.0:
        ck.error(path, f"{_fmt(number)} is outside 0..1 (or use a letter A..E)")
        return None
    return number


def _times(ck: Checker, path: str, raw: Mapping[str, Any], ctx: _Context) -> dict[str, float] | None:
    """Phase times in seconds, checked for presence, type and order."""
    values: dict[str, float] = {}
    ok = True
    for phase in PHASES:
        if phase not in raw:
            if phase != "apex_end":
                ck.error(join(path, phase), "missing")
                ok = False
            continue
        number = _number(ck, join(path, phase), raw[phase], time=True)
        ok &= number is not None
        if number is not None:
            values[phase] = number
    previous = None
    for phase in PHASES:  # order is checked between the phases that are valid numbers
        if phase not in values:
            continue
        if previous is not None and values[phase] < values[previous]:
            ck.error(join(path, phase),
                     f"{_fmt(values[phase])} is before {previous} {_fmt(values[previous])}")
            ok = False
        previous = phase
    if not ok or ctx.to_seconds is None:
        return None
    values.setdefault("apex_end", values["apex"])
    seconds = {k: v * ctx.to_seconds for k, v in values.items()}
    if ctx.past_last_frame(join(path, "offset"), seconds["offset"], ck):
        return None
    return seconds


def _event_code(ck: Checker, path: str, raw: Mapping[str, Any], side: str | None) -> FacsCode | None:
    """What an event plays, as a code: ``au`` events become a one-item code without a letter."""
    what = [k for k in ("au", "code", "expression") if k in raw]
    if len(what) != 1:
        detail = f"has {' and '.join(what)}" if what else "has none"
        ck.error(path, f"an event names exactly one of au, code or expression ({detail})")
        return None
    key, value = what[0], raw[what[0]]
    try:
        if key == "au":
            number, notes = normalise_au(value)
            code = FacsCode((CodeItem(number),), tuple(notes))
            if side is not None:
                _side_fits(ck, path, number, side)
        elif not isinstance(value, str):
            ck.error(join(path, key), f"must be a string, got {kind(value)}")
            return None
        else:
            code = parse_code(value) if key == "code" else _one_sided(get_expression(value), side)
            if side not in (None, "both") and not any(side in get_au(n).sides for n in code.aus):
                ck.warn(join(path, "side"), f"side {side!r} applies to none of the AUs of {value!r}")
    except FacsError as exc:
        ck.error(join(path, key), str(exc))
        return None
    for note in code.warnings:
        ck.warn(join(path, key), note)
    return code


def _one_sided(code: FacsCode, side: str | None) -> FacsCode:
    """An expression played on one side: its sided AUs move to ``side`` at their strongest letter.

    The user did not write the expression's code, so ``{"expression": "contempt", "side": "L"}``
    means left-sided contempt even though the preset says ``R12A+R14A``.
    """
    if side in (None, "both"):
        return code
    items = tuple(replace(item, letters=((side, max(letter for _, letter in item.letters)),), qualifier="")
                  if side in get_au(item.au).sides else item for item in code.items)
    return replace(code, items=items)


def _side_fits(ck: Checker, path: str, number: int, side: str) -> bool:
    try:
        channels_for_side(number, side)
    except FacsError as exc:
        ck.error(join(path, "side"), str(exc))
        return False
    return True


def _item_events(ck: Checker, path: str, item: CodeItem, *, side: str, intensity: float | None,
                 scale: IntensityScale, common: dict[str, Any]) -> list[Event]:
    """Events of one code item: one per coded channel, the event's side filling unprefixed items."""
    au = get_au(item.au)
    out = []
    for channel, letter in item.letters:
        value = scale.to_value(letter) if letter else intensity
        assert value is not None  # _event reported unlettered items without an intensity
        chosen = channel or (side if side in au.sides else "")
        if not chosen and item.qualifier == "U":
            chosen = au.sides[0] if au.sides else ""
            ck.warn(path, f"U{item.au} (unilateral, side unspecified) is animated on side {chosen or 'both'}")
        elif not chosen and item.qualifier == "A":
            ck.warn(path, f"A{item.au} (asymmetric, unspecified) is animated symmetrically")
        out.append(Event(item.au, value, side=cast(Side, chosen or "both"), **common))
    return out


def _event_id(ck: Checker, path: str, raw: Mapping[str, Any]) -> str | None:
    if "id" not in raw:
        return None
    return ck.check(join(path, "id"), json_string, raw["id"], empty=False)


def _event(ck: Checker, path: str, raw: Any, ctx: _Context) -> list[Event]:
    """The expanded events of ``events[i]``; every field is checked even after a first problem."""
    if not isinstance(raw, dict):
        ck.error(path, f"an event must be an object, got {kind(raw)}")
        return []
    errors_before = ck.n_errors
    ck.keys(raw, path, EVENT_KEYS)
    side = _choice(ck, raw, "side", path, SIDES, default="both")
    ease = _choice(ck, raw, "ease", path, EASES, default="smooth")
    intensity = None
    if "intensity" in raw:
        intensity = _intensity(ck, join(path, "intensity"), raw["intensity"], ctx.scale)
    event_id = _event_id(ck, path, raw)
    times = _times(ck, path, raw, ctx)
    code = _event_code(ck, path, raw, side)
    unlettered = [str(item.au) for item in code.items if not all(dict(item.letters).values())] if code else []
    if intensity is None and unlettered and "intensity" not in raw:
        what = (f"AU {unlettered[0]} has no intensity letter of its own" if len(unlettered) == 1
                else f"AUs {', '.join(unlettered)} have no intensity letters of their own")
        ck.error(join(path, "intensity"), f"missing: {what} (give a letter A..E or a number 0..1)")
    if ck.n_errors > errors_before or code is None or times is None or side is None:
        return []
    common = {**times, "ease": ease, "source": path}
    events = [e for item in code.items for e in _item_events(ck, path, item, side=side, intensity=intensity,
                                                             scale=ctx.scale, common=common)]
    if event_id is not None:
        single = len(events) == 1
        events = [replace(e, id=event_id if single else f"{event_id}/{control_name(e.au, _channel(e))}")
                  for e in events]
    return events


def code_events(*, code: str = "", expression: str = "", intensity: str | float, scale: IntensityScale,
                times: Sequence[float] = (0.0, 0.0, 0.0, 0.0), ease: str = "smooth",
                fps: float = DEFAULT_FPS,
                start_frame: float = DEFAULT_START_FRAME) -> tuple[list[Event], list[str]]:
    """The events one FACS code or expression plays, read exactly as a timeline event is, so the panel
    and timeline files agree on what ``surprise`` at C or ``G7D`` means: letters written in the code
    win, ``intensity`` (a letter or 0..1) fills the AUs without one. ``times`` are onset, apex,
    apex_end and offset in seconds, checked against Blender's last frame at ``fps`` with time 0 on
    ``start_frame``.

    Returns the events and the warnings; raises :class:`FacsError` with the reasons alone (no JSON
    path: the user typed a code, not a file).
    """
    if bool(expression) == bool(code):
        raise FacsError("give either an expression or a FACS code such as 1+2+5B+26")
    ck = Checker()
    raw: dict[str, Any] = {"expression": expression} if expression else {"code": code}
    raw |= {"intensity": intensity, "ease": ease, **dict(zip(PHASES, times, strict=True))}
    events = _event(ck, "", raw, _Context(scale, 1.0, fps, start_frame))
    if not ck.failed:
        _event_warnings(ck, events, scale)
    problems = ck.finish()
    if ck.failed:
        raise FacsError("; ".join(p.message for p in problems if p.severity == "error"))
    return events, [p.message for p in problems]


def pose_values(events: Sequence[Event]) -> dict[str, float]:
    """Control values of events at their apex; where two events share a control the larger wins.
    What *Set Pose* writes and what ``verify`` renders, so both pose a code the same way."""
    values: dict[str, float] = {}
    for event in events:
        for channel in channels_for_side(event.au, event.side):
            name = control_name(event.au, channel)
            values[name] = max(values.get(name, 0.0), event.intensity)
    return values


def _channel(event: Event) -> str:
    return "" if event.side == "both" else event.side


def _number_list(ck: Checker, path: str, raw: Any, *, gaps: bool) -> np.ndarray | None:
    """A non-empty JSON array of numbers as floats; with ``gaps``, null and NaN become NaN.

    The common case (all numbers) is checked in bulk, so ten minutes of 60 fps samples stay fast;
    only a list with bad entries is walked item by item, reporting the first few.
    """
    if not isinstance(raw, list):
        ck.error(path, f"must be an array of numbers, got {kind(raw)}")
        return None
    if not raw:
        ck.error(path, "is empty")
        return None
    allowed = {int, float, type(None)} if gaps else {int, float}
    if set(map(type, raw)) <= allowed:
        try:
            arr = np.array(raw, dtype=float)
        except OverflowError:
            arr = None
        if arr is not None and not np.isinf(arr).any() and (gaps or not np.isnan(arr).any()):
            return arr
    out = np.full(len(raw), np.nan)
    bad = 0
    for i, x in enumerate(raw):
        if gaps and (x is None or (isinstance(x, float) and math.isnan(x))):
            continue
        sub = Checker()
        number = _number(sub, join(path, i), x)
        if number is None:
            bad += 1
            if bad <= MAX_PER_LIST:
                ck.error(sub.problems[0].path, sub.problems[0].message)
        else:
            out[i] = number
    if bad > MAX_PER_LIST:
        ck.error(path, f"... and {bad - MAX_PER_LIST} more samples that are not valid numbers")
    return None if bad else out


def _track_au(ck: Checker, path: str, raw: Mapping[str, Any], side: str | None) -> int | None:
    if "au" not in raw:
        ck.error(join(path, "au"), "missing")
        return None
    try:
        number, notes = normalise_au(raw["au"])
    except FacsError as exc:
        ck.error(join(path, "au"), str(exc))
        return None
    for note in notes:
        ck.warn(join(path, "au"), note)
    return number if side is None or _side_fits(ck, path, number, side) else None


def _track_times(ck: Checker, path: str, raw: Any) -> np.ndarray | None:
    times = _number_list(ck, path, raw, gaps=False)
    if times is None:
        return None
    if (times < 0).any():
        i = int(np.argmax(times < 0))
        ck.error(join(path, i), f"{_fmt(times[i])} is negative; times start at 0")
        return None
    if (np.diff(times) <= 0).any():
        i = int(np.argmax(np.diff(times) <= 0)) + 1
        ck.error(join(path, i), f"{_fmt(times[i])} is not after the previous time {_fmt(times[i - 1])}: "
                                 f"times must increase")
        return None
    return times


def _track_values(ck: Checker, path: str, raw: Any) -> np.ndarray | None:
    values = _number_list(ck, path, raw, gaps=True)
    if values is None:
        return None
    bad = (values < 0) | (values > 1)
    if bad.any():
        i = int(np.argmax(bad))
        more = f" ({int(bad.sum()) - 1} more samples are too)" if bad.sum() > 1 else ""
        ck.error(join(path, i), f"{_fmt(values[i])} is outside 0..1{more}")
        return None
    if np.isnan(values).all():
        ck.warn(path, "every sample is a gap (null)")
    return values


def _track(ck: Checker, path: str, raw: Any, ctx: _Context) -> Track | None:
    if not isinstance(raw, dict):
        ck.error(path, f"a track must be an object, got {kind(raw)}")
        return None
    errors_before = ck.n_errors
    ck.keys(raw, path, TRACK_KEYS)
    side = _choice(ck, raw, "side", path, SIDES, default="both")
    number = _track_au(ck, path, raw, side)
    arrays = {}
    for key, check in (("times", _track_times), ("values", _track_values)):
        if key not in raw:
            ck.error(join(path, key), "missing")
        else:
            arrays[key] = check(ck, join(path, key), raw[key])
    times, values = arrays.get("times"), arrays.get("values")
    if times is not None and values is not None and len(times) != len(values):
        ck.error(path, f"times has {len(times)} samples but values has {len(values)}")
    if ck.n_errors > errors_before or times is None or values is None or number is None or side is None:
        return None
    if ctx.to_seconds is None:
        return None
    seconds = times * ctx.to_seconds
    if ctx.past_last_frame(join(join(path, "times"), len(seconds) - 1), float(seconds[-1]), ck):
        return None
    return Track(number, cast(Side, side), seconds, values, source=path)


def _overlap_warnings(ck: Checker, events: list[Event], scale: IntensityScale) -> None:
    """Warn about mutually exclusive AUs active at the same time, naming both events."""
    by_au: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_au[event.au].append(event)
    for lst in by_au.values():
        lst.sort(key=lambda e: e.onset)
    for ex in exclusions():
        first, second = by_au.get(ex.a.au, []), by_au.get(ex.b.au, [])
        if not first or not second:
            continue
        onsets = [e.onset for e in second]
        for ea in first:
            if not _strong_enough(ea, ex.a.min_letter, scale):
                continue
            for eb in second[: bisect_left(onsets, ea.offset)]:
                if eb.offset <= ea.onset or not _strong_enough(eb, ex.b.min_letter, scale):
                    continue
                if any(ex.conflicting_channels(ca, cb) for ca in _channels(ea) for cb in _channels(eb)):
                    ck.warn(ea.source, _conflict_message(ex, ea, eb))


def _strong_enough(event: Event, letter: str, scale: IntensityScale) -> bool:
    return not letter or event.intensity >= scale.to_value(letter) - 1e-9


def _channels(event: Event) -> tuple[str, ...]:
    return channels_for_side(event.au, event.side)


def _label(event: Event) -> str:
    return f"AU {event.au}" + ("" if event.side == "both" else f" {event.side}")


def _conflict_message(ex: Exclusion, ea: Event, eb: Event) -> str:
    start, end = max(ea.onset, eb.onset), min(ea.offset, eb.offset)
    other = "this event" if ea.source == eb.source else eb.source
    if ex.winner is not None:
        outcome = f"{ex.winner} wins ({ex.loser} is scaled by 1 - {ex.winner})"
    elif ex.resolve == "net":
        outcome = "the rig combines them as opposite rotations"
    else:
        outcome = "left unresolved"
    return (f"{_label(ea)} and {_label(eb)} of {other} are active together from {_fmt(start)} s to "
            f"{_fmt(end)} s, but {ex.a} and {ex.b} exclude each other (FACS.md §3): {outcome}")


def _event_warnings(ck: Checker, events: list[Event], scale: IntensityScale) -> None:
    """What valid events may still get wrong: over-long blinks, exclusive AUs at once."""
    for event in events:
        if event.au == 45 and event.side == "both" and event.offset - event.onset > BLINK_MAX_SECONDS:
            ck.warn(event.source, f"AU 45 blink lasts {_fmt(event.offset - event.onset)} s; FACS scores a "
                                  f"closure over {BLINK_MAX_SECONDS} s as 43E")
    _overlap_warnings(ck, events, scale)


def _version_ok(ck: Checker, data: Mapping[str, Any]) -> bool:
    """Check format and version; False when the document is something else entirely (stop there)."""
    fmt, version = data.get("format"), data.get("version")
    if fmt != FORMAT:
        got = f", got {fmt!r}" if isinstance(fmt, str) else ("" if "format" in data else " (missing)")
        ck.error("format", f"must be {FORMAT!r}{got}")
        if isinstance(fmt, str):
            return False
    if isinstance(version, bool) or version != VERSION:
        got = f", got {version!r}" if "version" in data else " (missing)"
        ck.error("version", f"must be {VERSION}{got}; this facs_rig reads version {VERSION}")
        if isinstance(version, int) and not isinstance(version, bool):
            return False
    return True


@dataclass
class _Settings:
    fps: float | None
    overlap: str
    scale: IntensityScale
    name: str
    meta: dict[str, Any]
    to_seconds: float | None


def _settings(ck: Checker, data: Mapping[str, Any]) -> _Settings:
    """Document-level fields; invalid ones are reported and replaced by defaults to read on."""
    unit = _choice(ck, data, "time_unit", "", TIME_UNITS, default="seconds")
    overlap = _choice(ck, data, "overlap", "", OVERLAPS, default="max") or "max"
    fps = ck.check("fps", number, data["fps"], positive=True) if "fps" in data else None
    if fps is not None:
        try:
            scene_rate(fps)
        except FacsError as exc:
            ck.error("fps", str(exc))
            fps = None
    if "fps" not in data and unit == "frames":
        ck.error("fps", "missing: a timeline in frames needs its frame rate")
    try:
        spec = data.get("intensity_scale", "facs")
        if spec is None:  # scale_from_spec reads None as "the default"; in a file it is a mistake
            raise FacsError(f"an intensity scale is a name or an A..E table, got {kind(spec)}")
        scale = scale_from_spec(spec)
    except FacsError as exc:
        ck.error("intensity_scale", str(exc))
        scale = scale_from_spec("facs")
    name, meta = data.get("name", ""), data.get("meta", {})
    name = ck.check("name", json_string, name)
    if not isinstance(meta, dict):
        ck.error("meta", f"must be an object, got {kind(meta)}")
    to_seconds = {"seconds": 1.0, "frames": 1.0 / fps if fps else None}.get(unit or "")
    return _Settings(fps, overlap, scale, name or "",
                     dict(meta) if isinstance(meta, dict) else {}, to_seconds)


def _items(ck: Checker, data: Mapping[str, Any], key: str) -> list[Any]:
    items = data.get(key, [])
    if not isinstance(items, list):
        ck.error(key, f"must be an array, got {kind(items)}")
        return []
    return items


def _check_ids(ck: Checker, raw_events: list[Any], events: list[Event]) -> None:
    """Ids written in the file must be unique, and so must the ids expansion derives from them."""
    seen: dict[str, str] = {}
    written = [(f"events[{i}]", raw.get("id")) for i, raw in enumerate(raw_events) if isinstance(raw, dict)]
    derived = [(e.source, e.id) for e in events]
    for source, event_id in dict.fromkeys((s, i) for s, i in written + derived if isinstance(i, str) and i):
        if event_id in seen and seen[event_id] != source:
            ck.error(join(source, "id"), f"duplicate id {event_id!r} (also used by {seen[event_id]})")
        seen.setdefault(event_id, source)


def _build(ck: Checker, data: Any) -> Timeline | None:
    if not isinstance(data, dict):
        ck.error("", f"a timeline is a JSON object, got {kind(data)}")
        return None
    ck.keys(data, "", TOP_KEYS, strict=False)
    if not _version_ok(ck, data):
        return None
    settings = _settings(ck, data)
    ctx = _Context(settings.scale, settings.to_seconds, settings.fps or DEFAULT_FPS)
    raw_events, raw_tracks = _items(ck, data, "events"), _items(ck, data, "tracks")
    events = [e for i, raw in enumerate(raw_events) for e in _event(ck, f"events[{i}]", raw, ctx)]
    tracks = [t for i, raw in enumerate(raw_tracks)
              if (t := _track(ck, f"tracks[{i}]", raw, ctx)) is not None]
    if not raw_events and not raw_tracks:
        ck.warn("", "the timeline has no events and no tracks")
    _check_ids(ck, raw_events, events)
    if ck.failed:
        return None
    _event_warnings(ck, events, settings.scale)
    return Timeline(events=events, tracks=tracks, fps=settings.fps, overlap=settings.overlap,  # type: ignore[arg-type]
                    name=settings.name, meta=settings.meta, intensity_scale=settings.scale.spec())


def from_dict(data: Any, *, filename: str | None = None) -> Timeline:
    """Validate a parsed JSON document; raise :class:`TimelineError` listing every problem."""
    ck = Checker()
    try:
        timeline = _build(ck, data)
    except RecursionError:
        ck.error("", "the document is nested too deeply to be a timeline")
        timeline = None
    problems = ck.finish()
    if timeline is None or ck.failed:
        raise TimelineError(problems, filename)
    timeline.warnings = [str(p) for p in problems]
    return timeline


def loads(text: str | bytes, *, filename: str | None = "<string>") -> Timeline:
    """Parse and validate timeline JSON text (bytes are decoded as every JSON format is)."""
    if len(text) > MAX_BYTES:
        raise TimelineError([Problem("", f"{len(text)} characters is more than the {MAX_BYTES} byte limit "
                                         f"for a timeline")], filename)
    try:
        text = decode_text(text) if isinstance(text, bytes) else text
        if not text.strip():
            raise TimelineError([Problem("", "the file is empty (a timeline is a JSON object)")], filename)
        data = parse_json(text)
    except DocumentError as exc:
        raise TimelineError([Problem("", str(exc))], filename) from None
    return from_dict(data, filename=filename)


def load(path: str | os.PathLike[str]) -> Timeline:
    """Read a timeline file; anything but a regular file of at most :data:`MAX_BYTES` is refused
    before being read."""
    name = os.fspath(path)
    try:
        raw = read_document_bytes(path, what="timeline")
    except FileError as exc:
        raise TimelineError([Problem("", f"cannot read the file: {exc.reason}")], name) from None
    timeline = loads(raw, filename=name)
    timeline.name = timeline.name or Path(name).stem
    return timeline


def _event_dict(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if event.id is not None:
        out["id"] = event.id
    out |= {"au": event.au, "side": event.side, "intensity": event.intensity, "onset": event.onset,
            "apex": event.apex, "apex_end": event.apex_end, "offset": event.offset, "ease": event.ease}
    return out


def to_dict(timeline: Timeline) -> dict[str, Any]:
    """A version 1 document of the timeline: events per AU in seconds, intensities as numbers."""
    doc: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    if timeline.name:
        doc["name"] = timeline.name
    if timeline.fps is not None:
        doc["fps"] = timeline.fps
    doc |= {"time_unit": "seconds", "intensity_scale": timeline.intensity_scale, "overlap": timeline.overlap,
            "events": [_event_dict(e) for e in timeline.events],
            "tracks": [{"au": t.au, "side": t.side, "times": [float(x) for x in t.times],
                        "values": [None if math.isnan(v) else float(v) for v in t.values]}
                       for t in timeline.tracks],
            "meta": timeline.meta}
    return doc


def dumps(timeline: Timeline) -> str:
    """JSON text of :func:`to_dict`, one event or track per line so diffs stay readable."""
    doc = to_dict(timeline)
    lines = ["{"]
    for i, (key, value) in enumerate(doc.items()):
        comma = "," if i < len(doc) - 1 else ""
        if key in ("events", "tracks") and value:
            lines.append(f"  {json.dumps(key)}: [")
            lines += [f"    {json.dumps(v, allow_nan=False)}{',' if j < len(value) - 1 else ''}"
                      for j, v in enumerate(value)]
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, allow_nan=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dump(timeline: Timeline, path: str | os.PathLike[str]) -> None:
    """Write a timeline file atomically (a crash never leaves half a file over the old one)."""
    atomic_write_text(path, dumps(timeline))
