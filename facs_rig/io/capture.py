# SPDX-License-Identifier: GPL-3.0-or-later
"""What a reader hands over: samples of one take on one time axis, before they become a timeline.

Readers only parse; they fill a :class:`Capture` with AU intensities they read directly, blendshape
weights still to be solved, or FACS events. :mod:`.importer` then does the steps every format
shares (solving, gaps, segmentation, the report), so each format module stays about its format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.model import Event

COMMON_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 100.0, 120.0, 200.0, 240.0)
"""Frame rates real cameras and trackers use; an estimated rate within 0.5 % snaps to one."""

MAX_MAGNITUDE = 1000.0
"""No measured value reaches this (AU intensities go to 5, weights and confidences to 1, angles to
a few radians): beyond it, like ``inf`` and ``nan``, a cell is not a measurement but a gap."""

AUKey = tuple[int, str]
"""(AU number, side): side ``both`` for symmetric detectors, ``L``/``R``/``T``/``B`` otherwise."""


@dataclass
class Capture:
    format: str
    path: Path
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """(n,) seconds from the first sample, strictly increasing."""
    valid: np.ndarray | None = None
    """(n,) False where the face was not tracked (low confidence, no face): those become gaps."""
    tracks: dict[AUKey, tuple[np.ndarray, str]] = field(default_factory=dict)
    """AU intensities (0..1, NaN for missing cells) read directly, with the column they came from."""
    shape_names: list[str] = field(default_factory=list)
    shape_weights: np.ndarray | None = None
    """(n, len(shape_names)) blendshape weights to solve for AUs; direct tracks win on shared AUs."""
    events: list[Event] = field(default_factory=list)
    fps: float | None = None
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return len(self.times)

    def set_valid(self, valid: np.ndarray, why: str) -> None:
        """Mark the frames that were not tracked (False in ``valid``) as gaps and say how many, and
        ``why`` (``"without a face"``), in one warning."""
        self.valid = valid
        lost = int((~valid).sum())
        if lost:
            self.warnings.append(f"{lost} of {len(valid)} frames {why}: left as gaps")

    def measured(self, values: np.ndarray, names: list[str], what: str, *,
                 nan_is_gap: bool = False) -> np.ndarray:
        """``values`` (rows x ``names``) with cells that are no measurement (``inf``, beyond
        :data:`MAX_MAGNITUDE`, and ``nan`` unless the format writes it for "no face"
        (``nan_is_gap``)) turned into NaN gaps, counted in one warning naming the ``what`` columns,
        so they neither crash the maths after nor pass as full intensities once clipped."""
        values = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.isinf(values) | (np.abs(values) > MAX_MAGNITUDE)
        counted = bad | np.isnan(values) if not nan_is_gap else bad
        count = int(counted.sum())
        if count:
            columns = [n for n, hit in zip(names, counted.any(axis=0), strict=True) if hit]
            listed = ", ".join(columns[:4]) + (", ..." if len(columns) > 4 else "")
            self.warnings.append(f"{count} {what} value{'s' if count > 1 else ''} not finite (nan, inf) or "
                                 f"beyond \u00b1{MAX_MAGNITUDE:g} in {listed}: left as gaps")
        return np.where(bad, np.nan, values)


def blendshape_meta(names: Sequence[str], times: np.ndarray,
                    scores: Iterable[np.ndarray | None]) -> dict[str, Any]:
    """The raw blendshape scores kept beside the AUs (``meta.blendshapes``) for an ARKit head to
    replay 1:1: the names, the times, and per frame its scores in the names' order, or None (null)
    where it has none."""
    return {"names": list(names), "times": [round(float(t), 6) for t in times],
            "scores": [None if row is None else [round(float(s), 5) for s in row] for row in scores]}


def estimate_fps(times: np.ndarray) -> float | None:
    """The take's frame rate from its sample times, snapped to a common rate.

    The mean of the regular steps, not the median: trackers round timestamps to milliseconds, so a
    30 fps take steps 0.033, 0.034, 0.033, ... whose median alone would say 30.3 fps.
    """
    steps = np.diff(np.asarray(times, dtype=float))
    steps = steps[steps > 0]
    if not steps.size:
        return None
    typical = float(np.median(steps))
    regular = steps[(steps > 0.5 * typical) & (steps < 1.5 * typical)]
    with np.errstate(over="ignore", divide="ignore"):  # steps of 1e-320 s: an absurd rate, refused later
        fps = float(1.0 / (regular if regular.size else steps).mean())
    nearest = min(COMMON_RATES, key=lambda r: abs(r - fps))
    return nearest if abs(nearest - fps) <= 0.005 * nearest else round(fps, 3)


def first_not_increasing(times: np.ndarray) -> int | None:
    """Index of the first sample whose time is not after the previous one, or None."""
    bad = np.flatnonzero(np.diff(times) <= 0)
    return int(bad[0]) + 1 if bad.size else None
