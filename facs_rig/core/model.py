# SPDX-License-Identifier: GPL-3.0-or-later
"""The timeline data model every part of facs_rig speaks (keyframer, importers, CLI, panel).

Times are always seconds and intensities always 0..1 activations here: the loader converts frames
and letters once, so nothing downstream has to know which units a file used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Side = Literal["both", "L", "R", "T", "B"]
"""``both`` for a symmetric movement, ``L``/``R`` the subject's left/right, ``T``/``B`` top/bottom lip."""

Channel = Literal["", "L", "R", "T", "B"]
"""One controllable half of an AU: ``L``/``R`` for sided AUs, ``T``/``B`` for lip AUs, ``""`` otherwise."""

Ease = Literal["smooth", "linear"]
Overlap = Literal["max", "sum"]


def control_name(au: int, channel: str = "") -> str:
    """The rig's custom-property name for an AU channel: ``AU12_L``, ``AU26``, ``AU22_T``."""
    return f"AU{au:02d}_{channel}" if channel else f"AU{au:02d}"


def parse_control_name(name: str) -> tuple[int, str]:
    """Inverse of :func:`control_name`."""
    body = name.removeprefix("AU")
    number, _, channel = body.partition("_")
    return int(number), channel


_CONTROL = re.compile(r"AU\d{2,}(?:_[LRTB])?")
_CONTROL_PATH = re.compile(r'\["(AU\d{2,}(?:_[LRTB])?)"\]')


def is_control_name(name: str) -> bool:
    """Whether a custom property is an AU control (``AU12_L``, ``AU26``, ``AU22_T``): the one test
    the keyframer, the panel and the renderer share, so they always agree on what a rig moves."""
    return _CONTROL.fullmatch(name) is not None


def control_of_path(data_path: str) -> str | None:
    """The AU control an F-curve or driver data path (``["AU12_L"]``) points at, else None."""
    match = _CONTROL_PATH.fullmatch(data_path)
    return match[1] if match else None


@dataclass(frozen=True)
class Event:
    """One AU movement with FACS timing: 0 at onset, intensity from apex to apex_end, 0 at offset."""

    au: int
    intensity: float
    onset: float
    apex: float
    apex_end: float
    offset: float
    side: Side = "both"
    ease: Ease = "smooth"
    source: str = ""
    """JSON path of the event this came from (``events[3]``), so messages can point at the file."""
    id: str | None = None


@dataclass(frozen=True, eq=False)
class Track:
    """Dense samples of one AU channel (imported data); NaN marks a gap (face not tracked)."""

    au: int
    side: Side
    times: np.ndarray
    values: np.ndarray
    source: str = ""


@dataclass
class Timeline:
    events: list[Event] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    fps: float | None = None
    overlap: Overlap = "max"
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    intensity_scale: str | dict[str, float] = "facs"
    """The scale letters were read with (a name or an A..E table); written back by ``to_dict``."""
