# SPDX-License-Identifier: GPL-3.0-or-later
"""Bind a preset to one mesh (and armature): which targets exist, what each one sums, coverage.

The result, :class:`ResolvedMapping`, is everything the rig's drivers and the numpy reference
need and nothing more, so both are built from the same object and cannot disagree. Bone targets
are turned from face-frame axes into Euler channels of each bone here, from the bone's rest
orientation the caller measures, so presets never depend on a rig's bone roll.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..catalogue import control_sort_key
from ..combinations import exclusion_factors
from ..errors import FacsError
from .matching import NameIndex, find_bone
from .presets import AXES, CombineMode, Curve, MappingPreset, TargetSpec, load_preset, preset_names

BONE_EPSILON = 1e-6
"""Euler components smaller than this (a face axis almost perpendicular to a bone axis) are dropped."""


@dataclass(frozen=True)
class Term:
    """``gain * curve(source)``: one contribution to a target. ``source`` is a control name or the
    id of a combination (``combo:<n>``)."""

    source: str
    gain: float
    curve: Curve | None = None


@dataclass
class ResolvedTarget:
    """One driven channel: a shape key's value (clamped to 0..1) or one Euler angle of a bone."""

    key: str
    kind: str
    name: str
    index: int = 0
    terms: list[Term] = field(default_factory=list)

    @property
    def clamped(self) -> bool:
        return self.kind == "shape"


@dataclass(frozen=True)
class ResolvedCombination:
    id: str
    name: str
    mode: CombineMode
    controls: tuple[str, ...]


@dataclass
class Coverage:
    """What a preset found on one mesh: the basis of ``auto`` and of ``facs_rig info``."""

    preset: str
    matched: dict[str, str] = field(default_factory=dict)
    """``"shape:browInnerUp"`` (the preset's spelling) → the name found on the mesh/armature."""
    missing: list[str] = field(default_factory=list)
    """Preset targets (``"shape:..."``/``"bone:..."``) found neither as spelled nor via a fallback."""
    controls: dict[str, list[str]] = field(default_factory=dict)
    """Covered control → the mesh/armature targets it moves (``"shape:Name"``, ``"bone:head"``)."""
    uncovered: list[str] = field(default_factory=list)
    """Controls the preset maps but whose targets are all missing."""
    unused_shapes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int]:
        """Targets found first, fewer missing second: how ``auto`` ranks presets."""
        return len(self.matched), -len(self.missing)


@dataclass
class ResolvedMapping:
    preset: str
    controls: list[str]
    targets: dict[str, ResolvedTarget]
    combinations: dict[str, ResolvedCombination]
    exclusions: dict[str, tuple[str, ...]]
    bone_orders: dict[str, str]
    """Euler order per driven bone: roll innermost, yaw outermost, in the bone's own axes."""
    coverage: Coverage
    preset_path: str = ""
    """The preset's file, so a rig can be resolved again from exactly the same data."""


def shape_key(name: str) -> str:
    return f"shape:{name}"


def bone_key(name: str, index: int) -> str:
    return f"bone:{name}:{index}"


def euler_order(face_to_local: np.ndarray) -> str:
    """Euler order applying the face's roll (Y) first and yaw (Z) last, in the bone's own axes,
    so turning and nodding compose like a neck does; ``XYZ`` for bones not aligned with the face."""
    letters = [AXES[int(np.argmax(np.abs(face_to_local[:, f])))] for f in (1, 0, 2)]
    return "".join(letters) if len(set(letters)) == 3 else "XYZ"


class _Binder:
    """Matches specs (with fallbacks) and accumulates terms per target."""

    def __init__(
        self,
        preset: MappingPreset,
        shapes: Sequence[str],
        bones: Mapping[str, np.ndarray],
    ) -> None:
        self.shapes = NameIndex(list(shapes))
        self.bones = NameIndex(list(bones))
        self.bone_frames = bones
        self.coverage = Coverage(preset.name)
        self.targets: dict[str, ResolvedTarget] = {}

    def find(self, spec: TargetSpec) -> str | None:
        found = self.shapes.find(spec.name) if spec.kind == "shape" else find_bone(self.bones, spec.name)
        wanted = f"{spec.kind}:{spec.name}"
        if found is not None:
            self.coverage.matched[wanted] = found
        return found

    def bind(self, spec: TargetSpec, source: str) -> list[str]:
        """Terms of ``spec`` (or of its fallbacks) for ``source``; returns the targets it moves."""
        found = self.find(spec)
        if found is None:
            moved = [t for fb in spec.fallback for t in self.bind(fb, source)]
            wanted = f"{spec.kind}:{spec.name}"
            if not moved and wanted not in self.coverage.missing:
                self.coverage.missing.append(wanted)
            return moved
        if spec.kind == "shape":
            self._add(shape_key(found), "shape", found, 0, Term(source, spec.gain, spec.curve))
            return [shape_key(found)]
        axis = self.bone_frames[found][:, AXES.index(spec.axis)]
        for index in range(3):
            if abs(axis[index]) > BONE_EPSILON:
                term = Term(source, spec.gain * float(axis[index]), spec.curve)
                self._add(bone_key(found, index), "bone", found, index, term)
        return [f"bone:{found}"]

    def _add(self, key: str, kind: str, name: str, index: int, term: Term) -> None:
        target = self.targets.setdefault(key, ResolvedTarget(key, kind, name, index))
        target.terms.append(term)


def resolve(
    preset: MappingPreset,
    shapes: Sequence[str],
    bones: Mapping[str, np.ndarray] | None = None,
) -> ResolvedMapping:
    """Bind ``preset`` to a mesh with shape keys ``shapes`` (reference key excluded) and bones
    ``bones``: name → 3×3 matrix taking face-frame vectors (X subject's left, Y back, Z up) to the
    bone's local axes at rest."""
    bones = dict(bones or {})
    binder = _Binder(preset, shapes, bones)
    cov = binder.coverage
    for control, specs in preset.controls.items():
        moved = [t for spec in specs for t in binder.bind(spec, control)]
        if moved:
            cov.controls[control] = list(dict.fromkeys(moved))
        else:
            cov.uncovered.append(control)
    controls = sorted(cov.controls, key=control_sort_key)
    combos: dict[str, ResolvedCombination] = {}
    for n, combo in enumerate(preset.combinations):
        if not all(c in cov.controls for c in combo.controls):
            continue
        cid = f"combo:{n}"
        if [t for spec in combo.targets for t in binder.bind(spec, cid)]:
            combos[cid] = ResolvedCombination(cid, combo.name, combo.mode, combo.controls)
    exclusions = {
        loser: tuple(w for w in winners if w in cov.controls)
        for loser, winners in exclusion_factors().items()
        if loser in cov.controls
    }
    exclusions = {loser: winners for loser, winners in exclusions.items() if winners}
    used = {t.name for t in binder.targets.values() if t.kind == "shape"}
    cov.unused_shapes = [s for s in shapes if s not in used]
    cov.warnings = binder.shapes.ambiguous + binder.bones.ambiguous
    bone_names = sorted({t.name for t in binder.targets.values() if t.kind == "bone"})
    return ResolvedMapping(
        preset=preset.name,
        controls=controls,
        targets=binder.targets,
        combinations=combos,
        exclusions=exclusions,
        bone_orders={b: euler_order(bones[b]) for b in bone_names},
        coverage=cov,
        preset_path=str(preset.path or ""),
    )


def resolve_auto(
    shapes: Sequence[str],
    bones: Mapping[str, np.ndarray] | None = None,
    user_dirs: Sequence[str] = (),
    mesh: str = "this mesh",
) -> tuple[ResolvedMapping, list[Coverage]]:
    """The preset that finds the most targets on this mesh, and every preset's coverage (best
    first) so callers can say why it won. ``mesh`` names the mesh in the error when none fits."""
    results = [resolve(load_preset(name, user_dirs), shapes, bones) for name in preset_names(user_dirs)]
    results.sort(key=lambda r: r.coverage.score, reverse=True)
    if not results or not results[0].coverage.matched:
        raise FacsError(f"no mapping preset finds any shape key or bone on {mesh}")
    return results[0], [r.coverage for r in results]

