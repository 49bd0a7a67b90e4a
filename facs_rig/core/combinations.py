# SPDX-License-Identifier: GPL-3.0-or-later
"""Mutually exclusive AUs (FACS.md section 3) from ``presets/exclusions.json`` and how to resolve them.

Resolution is deliberately one product rule, ``loser * Π(1 - winner)`` on the unresolved values,
because the rig rebuilds it as Blender simple-expression drivers from :func:`exclusion_factors`:
the evaluator and a .blend opened without the add-on must agree exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal, cast

import numpy as np

from ..paths import PRESETS
from .catalogue import get_au
from .codes import parse_code
from .errors import FacsError
from .model import control_name

EXCLUSIONS_FILE = PRESETS / "exclusions.json"

Resolve = Literal["winner", "warn", "net"]


@dataclass(frozen=True)
class Side:
    """One end of an exclusion: an AU, optionally one channel (``B28``) and a minimum letter (``7E``)."""

    au: int
    channel: str = ""
    min_letter: str = ""

    @property
    def channels(self) -> tuple[str, ...]:
        return (self.channel,) if self.channel else get_au(self.au).channels

    def __str__(self) -> str:
        return f"{self.channel}{self.au}{self.min_letter}"


@dataclass(frozen=True)
class Exclusion:
    """Two codes FACS does not score together, and what the evaluator does about it."""

    row: str
    a: Side
    b: Side
    resolve: Resolve
    why: str
    channels: Literal["same", "any"] = "any"
    winner: Side | None = None

    @property
    def loser(self) -> Side | None:
        if self.winner is None:
            return None
        return self.b if self.winner == self.a else self.a

    def conflicting_channels(self, a_channel: str, b_channel: str) -> bool:
        """Whether channel ``a_channel`` of ``a`` and ``b_channel`` of ``b`` exclude each other."""
        if a_channel not in self.a.channels or b_channel not in self.b.channels:
            return False
        return self.channels == "any" or a_channel == b_channel or "" in (a_channel, b_channel)

    def winner_channels(self, loser_channel: str) -> tuple[str, ...]:
        """The winner channels whose ``(1 - w)`` factors scale ``loser_channel`` of the loser."""
        assert self.winner is not None
        if self.winner.channel or get_au(self.winner.au).channels == ("",):
            return self.winner.channels
        if self.channels == "same" and loser_channel in self.winner.channels:
            return (loser_channel,)
        return self.winner.channels

    def __str__(self) -> str:
        return f"{self.a} and {self.b}"


def _side(token: str) -> Side:
    items = parse_code(token).items
    if len(items) != 1 or len(items[0].letters) != 1 or items[0].qualifier or items[0].movement:
        raise FacsError(f"{EXCLUSIONS_FILE.name}: {token!r} must be one AU with at most a lip/side prefix")
    channel, letter = items[0].letters[0]
    return Side(items[0].au, channel, letter)


@cache
def exclusions() -> tuple[Exclusion, ...]:
    """Every exclusion pair of the table, in data order (the order rules are applied in)."""
    rows = json.loads(EXCLUSIONS_FILE.read_text(encoding="utf-8"))["pairs"]
    out = []
    for i, row in enumerate(rows):
        where = f"{EXCLUSIONS_FILE.name}: pairs[{i}]"
        a, b = _side(row["a"]), _side(row["b"])
        multi = len(a.channels) > 1 and len(b.channels) > 1
        if multi and get_au(a.au).sides == get_au(b.au).sides and "channels" not in row:
            raise FacsError(f"{where}: {a} and {b} both have channels; say 'channels': 'same' or 'any'")
        winner = None
        if "winner" in row:
            winner = {row["a"]: a, row["b"]: b}.get(row["winner"])
            if winner is None or a.min_letter or b.min_letter:
                raise FacsError(f"{where}: the winner must be 'a' or 'b'; intensity-limited pairs cannot win")
        resolve = "winner" if winner else row["resolve"]
        if resolve not in ("winner", "warn", "net"):
            raise FacsError(f"{where}: resolve must be 'warn' or 'net', got {resolve!r}")
        out.append(Exclusion(row["row"], a, b, cast(Resolve, resolve), row["why"], row.get("channels", "any"),
                             winner))
    return tuple(out)


def rows() -> tuple[str, ...]:
    """The FACS.md table rows the pairs come from, in order (``"5"``, ``"8"``, ..., ``"head"``)."""
    return tuple(dict.fromkeys(ex.row for ex in exclusions()))


def excluded(a: int, b: int) -> list[Exclusion]:
    """The exclusions between AU numbers ``a`` and ``b`` (either order)."""
    return [ex for ex in exclusions() if {ex.a.au, ex.b.au} == {a, b}]


def exclusion_factors() -> dict[str, list[str]]:
    """Loser control → winner controls it is multiplied by ``(1 - w)`` with, over the full rig.

    The rig builds each loser's driver as ``value * (1 - w1) * (1 - w2) ...`` from this.
    """
    return {loser: list(winners) for loser, winners in _factors().items()}


@cache
def _factors() -> dict[str, tuple[str, ...]]:
    factors: dict[str, list[str]] = {}
    for ex in exclusions():
        if ex.winner is None or ex.loser is None:
            continue
        for channel in ex.loser.channels:
            loser = control_name(ex.loser.au, channel)
            for wch in ex.winner_channels(channel):
                winner = control_name(ex.winner.au, wch)
                if winner not in factors.setdefault(loser, []):
                    factors[loser].append(winner)
    return {loser: tuple(winners) for loser, winners in factors.items()}


def resolve_exclusions(values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Apply :func:`exclusion_factors` to curves keyed by control name.

    Factors use the original (unresolved) values, so the order of rules does not matter and a
    winner that is itself a loser elsewhere still counts at full strength. Controls missing from
    ``values`` count as 0. Returns a new dict; inputs are not modified.
    """
    out = dict(values)
    for loser, winners in _factors().items():
        if loser not in values:
            continue
        present = [values[w] for w in winners if w in values]
        if present:
            scale = np.prod([1.0 - np.asarray(w, dtype=float) for w in present], axis=0)
            out[loser] = np.asarray(values[loser], dtype=float) * scale
    return out
