# SPDX-License-Identifier: GPL-3.0-or-later
"""What the rig's drivers compute, in numpy, vectorised over frames.

This is the reference the drivers are tested against and what bake mode writes, so it follows the
driver formula step by step: clamp each control to 0..1, apply the exclusions
(``loser * Π(1 - winner)`` on the clamped values), form combinations from the effective values,
sum ``gain * curve(value)`` per target, clamp shape keys to 0..1 (bone angles are not clamped).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .presets import curve_value
from .resolve import ResolvedMapping


def effective_controls(
    resolved: ResolvedMapping, control_values: Mapping[str, np.ndarray | float]
) -> dict[str, np.ndarray]:
    """Controls after clamping and exclusions; controls the rig does not have are ignored, and
    missing ones are 0."""
    arrays = [np.asarray(control_values[c], dtype=float) for c in resolved.controls if c in control_values]
    shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
    raw = {
        c: np.clip(np.broadcast_to(np.asarray(control_values.get(c, 0.0), dtype=float), shape), 0.0, 1.0)
        for c in resolved.controls
    }
    eff = {}
    for control, value in raw.items():
        factor = np.ones_like(value)
        for winner in resolved.exclusions.get(control, ()):
            factor = factor * (1.0 - raw[winner])
        eff[control] = value * factor
    return eff


def evaluate_targets(
    resolved: ResolvedMapping, control_values: Mapping[str, np.ndarray | float]
) -> dict[str, np.ndarray]:
    """Target key (``shape:<key name>``, ``bone:<bone>:<euler index>``) → value per frame
    (shape-key value 0..1, or bone Euler angle in radians)."""
    sources = effective_controls(resolved, control_values)
    for cid, combo in resolved.combinations.items():
        values = [sources[c] for c in combo.controls]
        sources[cid] = np.minimum.reduce(values) if combo.mode == "min" else np.multiply.reduce(values)
    out = {}
    for key, target in resolved.targets.items():
        total = sum(
            term.gain * (curve_value(term.curve, x) if term.curve else x)
            for term in target.terms
            for x in (sources[term.source],)
        )
        total = np.asarray(total, dtype=float)
        out[key] = np.clip(total, 0.0, 1.0) if target.clamped else total
    return out
