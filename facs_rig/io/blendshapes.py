# SPDX-License-Identifier: GPL-3.0-or-later
"""Blendshape weights (ARKit, MediaPipe, Audio2Face, py-feat v2) back to AU intensities.

The mapping preset says how much each shape moves per unit of each AU control (``W``); a frame's
AU values are the ``x`` in 0..1 whose ``W @ x`` comes closest to the frame's weights. Every frame
is solved at once (:func:`..core.solve.solve_bounded`), and the fit residual is reported, because
shapes the preset cannot explain (a rig's own extras, tracker noise) show up there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.mapping import linear_shape_matrix, load_preset
from ..core.mapping.matching import name_key
from ..core.model import parse_control_name
from ..core.solve import solve_bounded
from .capture import AUKey

DEFAULT_PRESET = "arkit52"
DISFAVOURED_AUS = (45, 46, 65, 66)
"""Controls the solver uses only for what the others cannot explain: a closed lid is AU 43 unless
nothing else fits (45 blink and 46 wink are timing patterns of the same closure), and gaze is 61/62
before walleye or cross-eye (65/66), which move the same eyeLook shapes."""
DISFAVOUR = 1e4
IGNORED_SHAPES = {"neutral"}
GAZE_AUS = (61, 62, 63, 64, 65, 66)
CLOSED_EYE = 0.5
"""Both eyes closed at least this far (AU 43, 45 or 46 on each side): no iris shows, so a tracker's
``eyeLook*`` scores there say where the lids are, not where the eyes look (MediaPipe scores a closed
eye as looking down, eyeLookDown 0.8 to 0.9). The gaze AUs are gaps in those frames, as a coder
leaves gaze unscored while the eyes are shut."""


@dataclass
class SolvedShapes:
    tracks: dict[AUKey, np.ndarray]
    residual: np.ndarray
    """(n_frames,) RMS misfit per frame over the matched shapes, NaN on gaps."""
    matched: list[str]
    unmatched: list[str]
    """Source shapes the preset does not use (e.g. ``mouthLeft``): not part of the fit."""
    warnings: list[str] = field(default_factory=list)

    @property
    def residual_rms(self) -> float | None:
        r = self.residual[np.isfinite(self.residual)]
        return float(np.sqrt(np.mean(r**2))) if r.size else None

    @property
    def residual_max(self) -> float | None:
        r = self.residual[np.isfinite(self.residual)]
        return float(r.max()) if r.size else None


def preset_shape_keys(preset: str = DEFAULT_PRESET) -> frozenset[str]:
    """Lower-cased names of the shapes a preset moves: which columns of a mixed table are shapes."""
    return frozenset(s.lower() for s in linear_shape_matrix(load_preset(preset))[1])


@dataclass(frozen=True)
class ShapeProblem:
    """One list of source shapes set against a preset, prepared once: the batch importers solve it
    for a whole take, the live sources for one frame at a time (:mod:`..live.solver`)."""

    W: np.ndarray
    """(matched shapes, reachable controls): how much each control moves each matched shape."""
    columns: list[int]
    """The source column of each row of ``W``."""
    keys: list[AUKey]
    """The AU and side of each column of ``W``."""
    penalty: np.ndarray
    """Ridge weight per column (:data:`DISFAVOURED_AUS` are disfavoured)."""
    unmatched: list[str]
    missing: list[str]
    """Preset shapes the source does not have."""


def shape_problem(names: list[str], preset: str = DEFAULT_PRESET) -> ShapeProblem:
    """The fit of ``names`` (the source's shape columns) to the inverse of ``preset``."""
    controls, shapes, W = linear_shape_matrix(load_preset(preset))
    column = {name_key(n): i for i, n in enumerate(names)}
    rows = [i for i, s in enumerate(shapes) if name_key(s) in column]
    used = [column[name_key(shapes[i])] for i in rows]
    W = W[rows]
    reachable = np.flatnonzero(np.any(W != 0, axis=0))
    penalty = np.array([DISFAVOUR if parse_control_name(controls[j])[0] in DISFAVOURED_AUS else 1.0
                        for j in reachable])
    keys: list[AUKey] = []
    for j in reachable:
        au, channel = parse_control_name(controls[j])
        keys.append((au, channel or "both"))
    unmatched = [n for i, n in enumerate(names) if i not in set(used) and name_key(n) not in IGNORED_SHAPES]
    missing = [shapes[i] for i in range(len(shapes)) if i not in set(rows)]
    return ShapeProblem(W[:, reachable], used, keys, penalty, unmatched, missing)


def _unscored_gaze(tracks: dict[AUKey, np.ndarray]) -> None:
    """Gaze AUs become NaN (gaps) where both eyes are shut (:data:`CLOSED_EYE`)."""
    closure = {side: np.max([track for (au, channel), track in tracks.items()
                             if au in (43, 45, 46) and channel in (side, "both")], axis=0, initial=0.0)
               for side in ("L", "R")}
    shut = np.minimum(closure["L"], closure["R"]) >= CLOSED_EYE
    tracks.update({key: np.where(shut, np.nan, track) for key, track in tracks.items() if key[0] in GAZE_AUS})


def solve_shapes(names: list[str], weights: np.ndarray, preset: str = DEFAULT_PRESET) -> SolvedShapes:
    """AU tracks from (n_frames, len(names)) weights; rows with NaN come back as NaN (gaps)."""
    problem = shape_problem(names, preset)
    solution = solve_bounded(problem.W, np.asarray(weights, dtype=float)[:, problem.columns],
                             penalty=problem.penalty)
    tracks: dict[AUKey, np.ndarray] = {key: np.clip(solution.x[:, k], 0.0, 1.0)
                                       for k, key in enumerate(problem.keys)}
    _unscored_gaze(tracks)
    unmatched, missing = problem.unmatched, problem.missing
    out = SolvedShapes(tracks, solution.residual, [names[i] for i in problem.columns], unmatched)
    if not problem.columns:
        out.warnings.append(f"none of the file's shapes is in the {preset} mapping: no AUs solved")
    elif missing:
        out.warnings.append(f"{len(missing)} {preset} shapes not in the file ({', '.join(missing[:4])}"
                            f"{', ...' if len(missing) > 4 else ''}): AUs that need them are not solved")
    if unmatched:
        out.warnings.append(f"shapes the {preset} mapping does not use, left out of the fit: "
                            f"{', '.join(unmatched[:6])}{', ...' if len(unmatched) > 6 else ''}")
    if solution.fallback_frames:
        out.warnings.append(f"{solution.fallback_frames} frames needed the slow solver fallback")
    return out
