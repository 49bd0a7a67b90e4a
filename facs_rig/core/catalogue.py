# SPDX-License-Identifier: GPL-3.0-or-later
"""The FACS code table (FACS.md section 1), loaded from ``presets/au_catalogue.json``.

Every other module asks this one what an AU number means, which channels (sides or lips) it has
and how a legacy 1978 number maps, so the vocabulary lives in one data file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ..paths import PRESETS
from .errors import FacsError, UnknownAUError
from .model import control_name, parse_control_name

CATALOGUE_FILE = PRESETS / "au_catalogue.json"

Kind = Literal["action_unit", "action_descriptor", "head_position", "eye_position", "supplementary"]
KINDS: tuple[str, ...] = (
    "action_unit", "action_descriptor", "head_position", "eye_position", "supplementary",
)
PANEL_GROUPS: tuple[str, ...] = (
    "brows", "eyes", "cheeks", "nose", "mouth", "jaw", "head", "gaze", "neck", "other",
)
SIDE_SETS: tuple[tuple[str, ...], ...] = ((), ("L", "R"), ("T", "B"))
CHANNEL_ORDER: tuple[str, ...] = ("", "L", "R", "T", "B")
"""Sort order of channels wherever controls are listed."""

_AU_TEXT = re.compile(r"\s*(?:AU)?\s*0*([0-9]{1,3})\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ActionUnit:
    """One FACS code: what it is called, what moves it and which channels a rig gives it."""

    number: int
    name: str
    muscles: tuple[str, ...]
    region: str
    kind: Kind
    sides: tuple[str, ...]
    """Prefixes that select part of the face: ``("L", "R")``, ``("T", "B")`` or ``()``."""
    temporal: Literal["pose", "event"]
    panel_group: str
    note: str = ""

    @property
    def channels(self) -> tuple[str, ...]:
        """The rig's channels: the sides, or ``("",)`` for one control."""
        return self.sides or ("",)

    @property
    def is_event(self) -> bool:
        """A movement in time (45 blink, 84 head shake) rather than a held pose."""
        return self.temporal == "event"

    @property
    def is_sided(self) -> bool:
        return self.sides == ("L", "R")

    @property
    def is_lip(self) -> bool:
        return self.sides == ("T", "B")

    @property
    def label(self) -> str:
        return f"AU{self.number} {self.name}"


@dataclass(frozen=True)
class LegacyCode:
    """A 1978 code that FACS 2002 folded into another AU (41, 42 into 43; 44 into 7)."""

    number: int
    maps_to: int
    letter: str
    why: str

    def warning(self) -> str:
        target = f"{self.maps_to}{self.letter}"
        return f"AU {self.number} is a legacy 1978 code, read as {target}: {self.why}"


@dataclass(frozen=True)
class _Catalogue:
    aus: dict[int, ActionUnit]
    legacy: dict[int, LegacyCode]
    missing: dict[int, str]


@cache
def _catalogue() -> _Catalogue:
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    aus: dict[int, ActionUnit] = {}
    for row in data["aus"]:
        au = ActionUnit(
            number=int(row["number"]),
            name=row["name"],
            muscles=tuple(row["muscles"]),
            region=row["region"],
            kind=row["kind"],
            sides=tuple(row["sides"]),
            temporal=row["temporal"],
            panel_group=row["panel_group"],
            note=row.get("note", ""),
        )
        if au.number in aus or au.kind not in KINDS or au.panel_group not in PANEL_GROUPS:
            raise FacsError(f"{CATALOGUE_FILE.name}: bad entry for AU {au.number}")
        if au.sides not in SIDE_SETS or au.temporal not in ("pose", "event"):
            raise FacsError(f"{CATALOGUE_FILE.name}: bad sides or temporal for AU {au.number}")
        aus[au.number] = au
    legacy = {int(r["number"]): LegacyCode(int(r["number"]), int(r["maps_to"]), r["letter"], r["why"])
              for r in data["legacy"]}
    missing = {n: r["why"].format(n=n) for r in data["not_in_facs"] for n in r["numbers"]}
    return _Catalogue(dict(sorted(aus.items())), legacy, missing)


def all_aus() -> tuple[ActionUnit, ...]:
    """Every code in the catalogue, in number order."""
    return tuple(_catalogue().aus.values())


def get_au(number: int) -> ActionUnit:
    """The catalogue entry of ``number``; :class:`UnknownAUError` names the number otherwise."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise UnknownAUError(repr(number), "get_au takes an int; normalise_au reads '12' or 'AU12'")
    cat = _catalogue()
    au = cat.aus.get(number)
    if au is None:
        if number in cat.legacy:
            raise UnknownAUError(number, cat.legacy[number].warning() + " (use normalise_au)")
        raise UnknownAUError(number, cat.missing.get(number, ""))
    return au


def is_known(number: int) -> bool:
    return number in _catalogue().aus


def legacy_code(number: int) -> LegacyCode | None:
    """How a 1978 number maps, or None for numbers that are not legacy codes."""
    return _catalogue().legacy.get(number)


def normalise_au(value: int | str) -> tuple[int, list[str]]:
    """A catalogue AU number from ``12``, ``"12"``, ``"AU12"`` or ``"AU01"``, plus warnings.

    Legacy numbers 41, 42 and 44 map to their FACS 2002 AU with a warning; anything else that is
    not in the catalogue raises :class:`UnknownAUError`.
    """
    number: int
    if isinstance(value, bool):
        raise UnknownAUError(value, "an AU is a number such as 12 or a string such as 'AU12'")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and (match := _AU_TEXT.fullmatch(value)):
        number = int(match.group(1))
    else:
        raise UnknownAUError(repr(value) if isinstance(value, str) else value,
                             "an AU is a number such as 12 or a string such as 'AU12'")
    legacy = legacy_code(number)
    if legacy is not None:
        return legacy.maps_to, [legacy.warning()]
    get_au(number)
    return number, []


def _au(au: int | ActionUnit) -> ActionUnit:
    return au if isinstance(au, ActionUnit) else get_au(au)


def controls(au: int | ActionUnit) -> list[str]:
    """Control names of all channels of an AU: ``["AU12_L", "AU12_R"]`` or ``["AU26"]``."""
    unit = _au(au)
    return [control_name(unit.number, ch) for ch in unit.channels]


def all_controls() -> list[str]:
    """Every control a full rig has, in catalogue order."""
    return [name for au in all_aus() for name in controls(au)]


def channels_for_side(au: int | ActionUnit, side: str) -> tuple[str, ...]:
    """The channels a side selects: ``"both"`` → all channels, ``"L"`` → ``("L",)``.

    A side the AU does not have (``"L"`` on 26, ``"T"`` on 12) is a :class:`FacsError`.
    """
    unit = _au(au)
    if side in ("both", ""):
        return unit.channels
    if side in unit.sides:
        return (side,)
    allowed = "/".join(unit.sides) if unit.sides else "none (it has one control)"
    raise FacsError(f"AU {unit.number} ({unit.name}) has no side {side!r}; its sides: {allowed}")


def control_sort_key(control: str) -> tuple[int, int]:
    """Sort controls by AU number, then channel in the order '', L, R, T, B."""
    number, channel = parse_control_name(control)
    return number, CHANNEL_ORDER.index(channel) if channel in CHANNEL_ORDER else len(CHANNEL_ORDER)
