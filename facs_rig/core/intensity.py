# SPDX-License-Identifier: GPL-3.0-or-later
"""FACS intensity letters (A..E) and 0..1 activations, both ways, under a named scale.

FACS intensity is ordinal, so there is no single right number for a letter: a scale says which
number a letter drives a rig with (``to_value``) and which band of numbers reads back as a letter
(``to_letter``). Every scale round-trips letter → number → letter.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import FacsError

LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "E")
_TOLERANCE = 1e-9
"""Values within this of a band edge belong to the lower band, so float noise cannot shift a letter."""


@dataclass(frozen=True)
class IntensityScale:
    """Letter points and band edges on the 0..1 activation axis.

    ``values[i]`` is the activation of letter ``LETTERS[i]``. ``edges[i]`` is the upper edge of the
    band just below letter i (``edges[0]`` the top of "absent"), so a value ``v`` reads as the first
    letter whose lower edge is below it: absent for ``v <= edges[0]``, A for ``v <= edges[1]``, ...
    """

    name: str
    values: tuple[float, float, float, float, float]
    edges: tuple[float, float, float, float, float]

    def __post_init__(self) -> None:
        points = (0.0, *self.values)
        if any(not (lo < v <= 1.0) for lo, v in itertools.pairwise(points)):
            raise FacsError(f"intensity scale {self.name!r}: letter values must rise strictly within (0, 1]")
        for i, edge in enumerate(self.edges):
            if not (points[i] <= edge < points[i + 1]):
                raise FacsError(f"intensity scale {self.name!r}: band edge {edge} must lie between "
                                f"the values of neighbouring letters")

    def to_value(self, letter: str) -> float:
        """Activation of a letter; ``""`` (absent) is 0."""
        if letter == "":
            return 0.0
        if letter not in LETTERS:
            raise FacsError(f"bad intensity letter {letter!r}: use A, B, C, D or E")
        return self.values[LETTERS.index(letter)]

    def to_level(self, value: float) -> int:
        """Ordinal 0 (absent) .. 5 (E) of an activation; values above 1 read as E."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise FacsError(f"intensity must be a number, got {value!r}")
        if math.isnan(value):
            raise FacsError("intensity is NaN")
        return sum(1 for edge in self.edges if value > edge + _TOLERANCE)

    def to_letter(self, value: float) -> str:
        """Letter of an activation; ``""`` for absent (0)."""
        level = self.to_level(value)
        return LETTERS[level - 1] if level else ""

    def to_levels(self, values: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`to_level` for imported data (NaN reads as 0)."""
        arr = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
        return np.searchsorted(np.asarray(self.edges) + _TOLERANCE, arr, side="left").astype(np.int8)

    def spec(self) -> str | dict[str, float]:
        """What a timeline file writes for this scale: the name, or the letter table."""
        return self.name if self.name in SCALES else dict(zip(LETTERS, self.values, strict=True))


def _banded(name: str, values: tuple[float, ...]) -> IntensityScale:
    """A scale whose letters sit at the top of their bands (FACS.md's default reading)."""
    return IntensityScale(name, tuple(values), (0.0, *values[:-1]))  # type: ignore[arg-type]


def _rounded(name: str, values: tuple[float, ...]) -> IntensityScale:
    """A scale that reads a value as the nearest letter point (OpenFace's 0..5 regression)."""
    points = (0.0, *values)
    edges = tuple((a + b) / 2 for a, b in itertools.pairwise(points))
    return IntensityScale(name, tuple(values), edges)  # type: ignore[arg-type]


SCALES: dict[str, IntensityScale] = {
    "facs": _banded("facs", (0.10, 0.25, 0.55, 0.90, 1.00)),
    "linear": _banded("linear", (0.2, 0.4, 0.6, 0.8, 1.0)),
    "openface": _rounded("openface", (0.2, 0.4, 0.6, 0.8, 1.0)),
}
"""``facs``: FACS.md's default band table; ``linear``: A..E = 0.2..1.0 with letters at the top of
equal bands; ``openface``: value = r/5 for OpenFace's 0..5 ``AUxx_r``, read back to the nearest r."""

DEFAULT_SCALE = "facs"


def scale_from_spec(spec: str | Mapping[str, Any] | IntensityScale | None = None) -> IntensityScale:
    """A scale from a name (``"facs"``), a custom table ``{"A": .., ..., "E": ..}`` or a scale.

    A custom table is banded like ``facs``: each letter is the upper edge of its band.
    """
    if spec is None:
        return SCALES[DEFAULT_SCALE]
    if isinstance(spec, IntensityScale):
        return spec
    if isinstance(spec, str):
        if spec not in SCALES:
            raise FacsError(f"unknown intensity scale {spec!r}; use one of {', '.join(SCALES)} or a table")
        return SCALES[spec]
    if isinstance(spec, Mapping):
        keys = set(spec)
        if keys != set(LETTERS):
            missing = [k for k in LETTERS if k not in keys]
            extra = sorted(str(k) for k in keys - set(LETTERS))
            detail = "; ".join(filter(None, [f"missing {', '.join(missing)}" if missing else None,
                                             f"unexpected {', '.join(extra)}" if extra else None]))
            raise FacsError(f"an intensity table needs exactly the letters A..E ({detail})")
        values = []
        for letter in LETTERS:
            v = spec[letter]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise FacsError(f"intensity table value for {letter} must be a number, got {v!r}")
            values.append(float(v))
        return _banded("custom", tuple(values))
    raise FacsError(f"an intensity scale is a name or an A..E table, got {type(spec).__name__}")
