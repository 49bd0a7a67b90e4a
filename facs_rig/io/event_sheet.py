# SPDX-License-Identifier: GPL-3.0-or-later
"""Event sheets: one FACS-coded movement per row with onset, apex and offset frames and a code
string, as the CASME II and SAMM micro-expression databases publish them (saved as CSV).

Column names are matched loosely (``OnsetFrame``, ``Onset Frame``, ``onset``). A sheet usually
covers many clips, each numbered from its own first frame, so clips are laid one after another on
the timeline (each starting where the previous ended, plus :data:`CLIP_GAP`), unless one clip is
picked. Publication conventions in the code column are read as written there: an apex of ``/``
is missing (estimated, with a warning), ``(R6 or R12)`` means uncertain alternatives (the first is
used, with a warning).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ..core.codes import parse_code
from ..core.errors import FacsError
from ..core.intensity import IntensityScale, scale_from_spec
from ..core.model import Event, Side
from ..core.timing import MAX_FRAME
from .capture import Capture
from .errors import ReadError
from .table import Table, read_table, shorten

ONSET = ("onsetframe", "onset", "onsetf", "start", "startframe")
APEX = ("apexframe", "apex", "apexf", "peak", "peakframe")
OFFSET = ("offsetframe", "offset", "offsetf", "end", "endframe")
CODE = ("actionunits", "actionunit", "aus", "au", "facs", "facscode", "code")
CLIP = ("filename", "file", "clip", "video", "episode")
SUBJECT = ("subject", "sub", "participant")
MISSING = {"", "/", "-", "n/a", "na", "none", "nan", "-1"}
DEFAULT_FPS = 200.0
"""CASME II and SAMM are both filmed at 200 fps."""
DEFAULT_LETTER = "C"
"""Intensity of an AU coded without a letter (CASME II codes rarely carry one)."""
APEX_FRACTION = 0.5
"""Where a missing apex is placed between onset and offset (no published norm; midway)."""
CLIP_GAP = 1.0


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _column(table: Table, keys: tuple[str, ...]) -> str | None:
    by_key = {_key(n): n for n in reversed(table.names)}
    return next((by_key[k] for k in keys if k in by_key), None)


def looks_like(names: list[str]) -> bool:
    keys = {_key(n) for n in names}
    return bool(keys & set(ONSET)) and bool(keys & set(OFFSET)) and bool(keys & set(CODE))


@dataclass
class _Row:
    line: int
    clip: str
    onset: float
    apex: float
    offset: float
    code: str


def read(path: str | Path, *, fps: float | None = None, clip: str | None = None,
         table: Table | None = None) -> Capture:
    table = table or read_table(path)
    capture = Capture("events", table.path)
    names = {what: _column(table, keys) for what, keys in
             (("onset", ONSET), ("apex", APEX), ("offset", OFFSET), ("code", CODE))}
    missing = [what for what in ("onset", "offset", "code") if names[what] is None]
    if missing:
        raise ReadError(table.path, f"an event sheet needs onset, offset and FACS code columns; "
                        f"no {' or '.join(missing)} column found", line=table.header_line)
    rate = fps or DEFAULT_FPS
    if fps is None:
        capture.warnings.append(f"frame numbers read at {DEFAULT_FPS:g} fps (CASME II / SAMM); "
                                "pass the clips' rate if it differs")
    rows = _rows(table, names, clip, capture)
    if not rows:
        raise ReadError(table.path, f"no rows for clip {clip!r}" if clip else "no events in the sheet")
    scale = scale_from_spec(None)
    clips: dict[str, list[_Row]] = {}
    for row in rows:
        clips.setdefault(row.clip, []).append(row)
    start = 0.0
    layout = []
    for name, members in clips.items():
        first = min(r.onset for r in members)
        layout.append({"clip": name, "start": start, "first_frame": first})
        for row in members:
            capture.events += _events(
                table, row, names["code"], scale=scale, capture=capture,
                to_seconds=lambda frame, first=first, start=start: start + (frame - first) / rate)  # type: ignore[misc]
        start += (max(r.offset for r in members) - first) / rate + CLIP_GAP
    if len(clips) > 1:
        capture.warnings.append(f"{len(clips)} clips laid one after another ({CLIP_GAP:g} s apart); "
                                "pick one clip to import it alone")
    capture.fps = rate
    capture.meta["clips"] = layout
    return capture


def _rows(table: Table, names: dict[str, str | None], clip: str | None, capture: Capture) -> list[_Row]:
    clip_col = _column(table, CLIP)
    subject_col = _column(table, SUBJECT)
    clips = table.strings(clip_col) if clip_col else [""] * len(table)
    subjects = table.strings(subject_col) if subject_col else [""] * len(table)
    labels = [f"{s}/{c}" if s and c else s or c for s, c in zip(subjects, clips, strict=True)]
    cells = {what: table.strings(name) if name else [""] * len(table) for what, name in names.items()}
    onset_name, offset_name = names["onset"], names["offset"]
    assert onset_name is not None and offset_name is not None  # read() refuses sheets without them
    rows = []
    for i, label in enumerate(labels):
        if clip is not None and clip not in (label, clips[i]):
            continue
        onset = _frame(table, i, names["onset"], cells["onset"][i])
        offset = _frame(table, i, names["offset"], cells["offset"][i])
        apex = _frame(table, i, names["apex"], cells["apex"][i]) if names["apex"] else None
        line = table.line_numbers[i]
        if onset is None:
            raise table.error(i, "missing onset frame", table.index(onset_name))
        if apex is None and offset is None:
            raise table.error(i, "missing apex and offset frames", table.index(offset_name))
        if apex is None:
            assert offset is not None
            apex = onset + APEX_FRACTION * (offset - onset)
            capture.warnings.append(f"line {line}: no apex frame, estimated at frame {apex:g} "
                                    "(midway between onset and offset)")
        elif offset is None:
            offset = apex + (apex - onset)
            capture.warnings.append(f"line {line}: no offset frame, estimated at frame {offset:g} "
                                    "(as long after the apex as the onset was before)")
        if not onset <= apex <= offset or onset == offset:
            raise table.error(i, f"frames must run onset <= apex <= offset with onset < offset, got "
                              f"{onset:g}, {apex:g}, {offset:g}", table.index(onset_name))
        rows.append(_Row(line, label, onset, apex, offset, cells["code"][i]))
    return rows


def _frame(table: Table, row: int, column: str | None, text: str) -> float | None:
    if column is None or text.strip().lower() in MISSING:
        return None
    try:
        frame = float(text)
    except ValueError:
        raise table.error(row, f"{shorten(text)!r} is not a frame number", table.index(column)) from None
    if not 0 <= frame <= MAX_FRAME:
        raise table.error(row, f"frame {shorten(text)} is outside Blender's frame range 0..{MAX_FRAME}",
                          table.index(column))
    return frame


def _events(table: Table, row: _Row, code_column: str | None, *, scale: IntensityScale, capture: Capture,
            to_seconds: Callable[[float], float]) -> list[Event]:
    """One event per coded AU channel of the row."""
    code, note = normalise_code(row.code)
    column = table.index(code_column) + 1 if code_column else None
    if note:
        capture.warnings.append(f"line {row.line}: code {row.code!r} {note}, read as {code!r}")
    try:
        parsed = parse_code(code)
    except FacsError as exc:
        raise ReadError(table.path, str(exc), line=row.line, column=column, column_name=code_column) from None
    onset, apex, offset = to_seconds(row.onset), to_seconds(row.apex), to_seconds(row.offset)
    source = f"{table.path.name} line {row.line}"
    events = []
    for item in parsed.items:
        for channel, letter in item.letters:
            events.append(Event(item.au, scale.to_value(letter or DEFAULT_LETTER),
                                side=cast(Side, channel or "both"), source=source,
                                onset=onset, apex=apex, apex_end=apex, offset=offset))
    return events


_ALTERNATIVES = re.compile(r"\s+or\s+|/", re.IGNORECASE)
_GROUP = re.compile(r"\(([^()]*)\)")


def normalise_code(text: str) -> tuple[str, str]:
    """A code as :func:`parse_code` reads it, and a note when publication conventions were
    resolved (``(R6 or R12)`` → ``R6``; commas → ``+``); the note is empty when nothing changed."""
    notes = []

    def first(match: re.Match[str]) -> str:
        parts = _ALTERNATIVES.split(match.group(1))
        if len(parts) > 1:
            notes.append("lists alternatives, the first is used")
        return parts[0]

    code = _GROUP.sub(first, text.strip())
    parts = _ALTERNATIVES.split(code)
    if len(parts) > 1:
        notes.append("lists alternatives, the first is used")
        code = parts[0]
    code = re.sub(r"\s*[,;&]\s*", "+", code).replace("?", "").strip().strip("+")
    code = re.sub(r"\s*\+\s*", "+", code)
    return code, "; ".join(dict.fromkeys(notes))
