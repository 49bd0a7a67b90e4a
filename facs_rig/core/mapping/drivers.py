# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender simple-expression strings for the rig's drivers, one per target.

Kept pure so the formula is readable and testable next to :mod:`.evaluate`. Expressions use only
what Blender evaluates without Python (``clamp``, ``min``, arithmetic), so a rigged .blend works
with the add-on disabled and with auto-run off; each driver reads only the controls it needs.
Controls are not clamped here: their properties have a hard 0..1 range, which Blender enforces on
slider edits, keyframes and drivers (the reference clips them the same way).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from ..errors import FacsError
from .presets import Curve
from .resolve import ResolvedMapping, ResolvedTarget, Term

MAX_EXPRESSION = 255
"""Blender stores a driver expression in 256 bytes and silently cuts longer ones."""


@dataclass(frozen=True)
class DriverSpec:
    key: str
    expression: str
    variables: dict[str, str]
    """Variable name → control name (the object's custom property it reads)."""


def number(value: float) -> str:
    """A float literal Blender's expression parser reads back to within 1e-10."""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _scaled(gain: float, body: str) -> str:
    g = number(gain)
    return body if g == "1" else f"-{body}" if g == "-1" else f"{g}*{body}"


class _Writer:
    def __init__(self, resolved: ResolvedMapping, names: Mapping[str, str]) -> None:
        self.resolved = resolved
        self.names = names

    def effective(self, control: str) -> str:
        winners = self.resolved.exclusions.get(control, ())
        return self.names[control] + "".join(f"*(1-{self.names[w]})" for w in winners)

    def source(self, source: str) -> str:
        combo = self.resolved.combinations.get(source)
        if combo is None:
            return self.effective(source)
        parts = [self.effective(c) for c in combo.controls]
        return f"min({','.join(parts)})" if combo.mode == "min" else "*".join(parts)

    @staticmethod
    def curve(curve: Curve, x: str) -> str:
        """Piecewise-linear curve as a sum of clamped ramps: exact for input in 0..1."""
        parts = [number(curve[0][1])] if curve[0][1] else []
        for (x0, y0), (x1, y1) in pairwise(curve):
            if y1 == y0:
                continue
            shifted = f"({x})" if x0 == 0 else f"(({x})-{number(x0)})"
            parts.append(_scaled(y1 - y0, f"clamp({shifted}/{number(x1 - x0)},0,1)"))
        return "(" + "+".join(parts or ["0"]) + ")"

    def term(self, term: Term) -> str:
        src = self.source(term.source)
        return _scaled(term.gain, self.curve(term.curve, src) if term.curve else src)

    def target(self, target: ResolvedTarget) -> str:
        text = "+".join(self.term(t) for t in target.terms).replace("+-", "-")
        return f"clamp({text},0,1)" if target.clamped else text


def _controls_read(resolved: ResolvedMapping, target: ResolvedTarget) -> list[str]:
    used: dict[str, None] = {}
    for term in target.terms:
        combo = resolved.combinations.get(term.source)
        for control in combo.controls if combo else (term.source,):
            used.setdefault(control)
            for winner in resolved.exclusions.get(control, ()):
                used.setdefault(winner)
    return list(used)


def driver_expression(resolved: ResolvedMapping, target: ResolvedTarget) -> DriverSpec:
    """The driver of one target, with the control names as variable names, or single letters
    when that would not fit Blender's 255 characters."""
    controls = _controls_read(resolved, target)
    for names in ({c: c for c in controls}, dict(zip(controls, string.ascii_letters, strict=False))):
        if len(names) < len(controls):
            continue
        text = _Writer(resolved, names).target(target)
        if len(text) <= MAX_EXPRESSION:
            return DriverSpec(target.key, text, {v: c for c, v in names.items()})
    raise FacsError(
        f"preset {resolved.preset!r}: the driver of {target.key} needs more than {MAX_EXPRESSION} "
        "characters; split its terms or combinations"
    )


def driver_specs(resolved: ResolvedMapping) -> list[DriverSpec]:
    return [driver_expression(resolved, t) for t in resolved.targets.values()]
