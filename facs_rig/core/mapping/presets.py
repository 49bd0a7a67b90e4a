# SPDX-License-Identifier: GPL-3.0-or-later
"""Mapping presets: which shape keys and bones each AU control moves, read from JSON data files.

A preset speaks in the *names of a convention* (ARKit, CC4, ...), never in the names of one
particular mesh; :mod:`.matching` binds it to a mesh later. Loading validates everything up front
and names the JSON path of the first mistake, so a broken user preset never half-applies.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ...paths import PRESETS
from ..catalogue import controls, get_au
from ..errors import FacsError
from ..files import FileError
from ..jsondoc import Checker, DocumentError, join, number, read_document, string
from ..model import parse_control_name

FORMAT_KEY = "facs_rig_mapping"
FORMAT_VERSION = 1
BUILTIN_DIR = PRESETS / "mappings"
AXES = ("X", "Y", "Z")
ARKIT_PRESET = "arkit52"
MAX_WEIGHT = 10.0
"""Largest shape-key weight: Blender clamps a shape key's value to its slider range, at most ±10."""
MAX_DEGREES = 360.0
"""Largest bone rotation a target may ask for at full intensity: more is a typo (radians given as
degrees are small; 1e308 would overflow the drivers' float maths)."""

TargetKind = Literal["shape", "bone"]
CombineMode = Literal["min", "product"]
Curve = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class TargetSpec:
    """One thing a control (or combination) moves.

    ``shape``: a shape key, value ``weight * curve(x)``. ``bone``: a rotation of ``degrees *
    curve(x)`` about ``axis`` of the face frame (X subject's left, Y back of the head, Z up;
    right-hand rule), so presets need not know each rig's bone roll. ``fallback`` targets stand in
    when this one is not on the mesh (e.g. one symmetric ``AU12`` key for a missing ``AU12_L``).
    """

    kind: TargetKind
    name: str
    weight: float = 1.0
    axis: str = ""
    degrees: float = 0.0
    curve: Curve | None = None
    fallback: tuple[TargetSpec, ...] = ()
    source: str = ""

    @property
    def gain(self) -> float:
        """Output at full input: the shape weight, or the bone angle in radians."""
        return self.weight if self.kind == "shape" else math.radians(self.degrees)

    def at_full(self) -> float:
        """Output at input 1 after the curve: the linear slope a solver can use."""
        return self.gain * (curve_value(self.curve, 1.0) if self.curve else 1.0)


@dataclass(frozen=True)
class Combination:
    """A corrective that fires when several controls act together (FACS non-additive sets).

    Its input is ``min`` or ``product`` of the controls' effective values; its targets are added
    like a control's: a sculpted corrective key, or a (negative) adjustment of existing targets.
    """

    name: str
    controls: tuple[str, ...]
    mode: CombineMode
    targets: tuple[TargetSpec, ...]
    source: str = ""


@dataclass(frozen=True)
class MappingPreset:
    name: str
    label: str
    description: str
    controls: dict[str, tuple[TargetSpec, ...]]
    combinations: tuple[Combination, ...] = ()
    path: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def target_names(self, kind: TargetKind) -> list[str]:
        """Every name of that kind the preset may look for, fallbacks included, first seen first."""
        seen: dict[str, None] = {}
        for spec in self.all_specs():
            if spec.kind == kind:
                seen.setdefault(spec.name)
        return list(seen)

    def all_specs(self) -> Iterable[TargetSpec]:
        stack = [t for ts in self.controls.values() for t in ts]
        stack += [t for c in self.combinations for t in c.targets]
        while stack:
            spec = stack.pop(0)
            yield spec
            stack[:0] = spec.fallback


def convention_shapes(preset: MappingPreset) -> tuple[str, ...]:
    """Every shape-key name of the preset's convention, mapped or not (``meta.shapes``; without it
    the shapes its targets name): what a head of that convention carries."""
    return tuple(preset.meta.get("shapes", ())) or tuple(preset.target_names("shape"))


@functools.cache
def arkit_names() -> tuple[str, ...]:
    """ARKit's 52 blendshape names, from the built-in ``arkit52`` preset: the one copy in facs_rig
    (importers, the face reader, the default head's build and their tests read it here)."""
    return convention_shapes(load_preset(BUILTIN_DIR / f"{ARKIT_PRESET}.json"))


def curve_value(curve: Curve, x: float | np.ndarray) -> Any:
    """Piecewise-linear activation curve, flat outside its points."""
    xs, ys = zip(*curve, strict=True)
    return np.interp(x, xs, ys)


# ----------------------------------------------------------------------------------------------
# Loading


def user_preset_dirs(extra: Sequence[str | Path] = ()) -> list[Path]:
    return [Path(d).expanduser() for d in extra if str(d).strip()]


def preset_names(user_dirs: Sequence[str | Path] = ()) -> list[str]:
    """Built-in preset names, then those of ``*.json`` files in the user folders (a user preset
    with a built-in's name shadows it in :func:`load_preset`)."""
    names = sorted(p.stem for p in BUILTIN_DIR.glob("*.json"))
    for folder in user_preset_dirs(user_dirs):
        names += sorted(p.stem for p in folder.glob("*.json") if p.stem not in names)
    return names


def find_preset_file(name: str, user_dirs: Sequence[str | Path] = ()) -> Path:
    for folder in [*user_preset_dirs(user_dirs), BUILTIN_DIR]:
        path = folder / f"{name}.json"
        if path.is_file():
            return path
    raise FacsError(f"unknown mapping preset {name!r}; known: {', '.join(preset_names(user_dirs))}")


def preset_path(name_or_path: str | Path) -> Path | None:
    """The file ``name_or_path`` names when it is a path (a ``Path``, or text ending in ``.json`` or
    holding a ``/``), None for a preset name: a command checks it as an input, so no output of
    the command replaces the preset it reads."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".json") or "/" in text:
        return Path(text).expanduser()
    return None


def load_preset(name_or_path: str | Path, user_dirs: Sequence[str | Path] = ()) -> MappingPreset:
    """A preset by name (user folders first, then built-ins) or by path to a JSON file."""
    path = preset_path(name_or_path) or find_preset_file(str(name_or_path), user_dirs)
    try:
        data = read_document(path, what="mapping preset")
    except FileError as exc:
        raise FacsError(f"{path}: cannot read mapping preset: {exc.reason}") from exc
    except DocumentError as exc:
        where = f"{exc.line}:{exc.column}:" if exc.line is not None else ""
        raise FacsError(f"{path}:{where} {exc.reason}") from exc
    return parse_preset(data, path=path, default_name=path.stem)


def parse_preset(data: Any, path: Path | None = None, default_name: str = "") -> MappingPreset:
    """Check a parsed preset document; :class:`FacsError` names the file and the JSON path of the
    first mistake."""
    where = f"{path}: " if path else ""
    def error(jpath: str, message: str) -> FacsError:
        return FacsError(f"{where}{jpath or '(top level)'}: {message}")

    p = _Parser(Checker(raise_as=error))
    try:
        return p.preset(data, path, default_name)
    except RecursionError:  # a fallback chain deeper than the parser's stack (within MAX_DEPTH)
        raise FacsError(f"{where}targets are nested too deeply") from None


class _Parser:
    """The preset's structure on top of the shared JSON checker (which raises at the first error)."""

    def __init__(self, checker: Checker) -> None:
        self.ck = checker

    def preset(self, data: Any, path: Path | None, default_name: str) -> MappingPreset:
        ck = self.ck
        ck.expect(isinstance(data, dict), "", "expected a JSON object")
        ck.expect(
            data.get(FORMAT_KEY) == FORMAT_VERSION,
            FORMAT_KEY,
            f"expected {FORMAT_KEY!r}: {FORMAT_VERSION} (a facs_rig mapping preset)",
        )
        ck.keys(data, "", (FORMAT_KEY, "name", "label", "description", "controls", "combinations", "meta"))
        name = ck.need("name", string, data.get("name", default_name))
        controls_raw = data.get("controls")
        ck.expect(isinstance(controls_raw, dict) and bool(controls_raw), "controls",
                  "expected a non-empty object")
        controls: dict[str, tuple[TargetSpec, ...]] = {}
        for control, targets in controls_raw.items():
            controls[self.control(control, join("controls", control))] = self.targets(
                targets, join("controls", control))
        combos_raw = ck.array(data.get("combinations", []), "combinations")
        combos = tuple(self.combination(c, f"combinations[{i}]") for i, c in enumerate(combos_raw))
        meta = ck.obj(data.get("meta", {}), "meta")
        if "shapes" in meta:
            shapes = [ck.need(f"meta.shapes[{i}]", string, n, empty=False)
                      for i, n in enumerate(ck.array(meta["shapes"], "meta.shapes"))]
            ck.expect(len(set(shapes)) == len(shapes), "meta.shapes", "a shape is listed twice")
        return MappingPreset(
            name=name,
            label=ck.need("label", string, data.get("label", name)),
            description=ck.need("description", string, data.get("description", "")),
            controls=controls,
            combinations=combos,
            path=path,
            meta=meta,
        )

    def control(self, name: str, jpath: str) -> str:
        try:
            au, _channel = parse_control_name(name)
            valid = controls(get_au(au))
        except (ValueError, FacsError):
            valid = []
        if name not in valid:
            hint = f" (this AU's controls: {', '.join(valid)})" if valid else ""
            self.ck.fail(jpath, f"{name!r} is not an AU control name like 'AU12_L' or 'AU26'{hint}")
        return name

    def targets(self, value: Any, jpath: str) -> tuple[TargetSpec, ...]:
        return tuple(self.target(t, f"{jpath}[{i}]") for i, t in enumerate(self.ck.array(value, jpath)))

    def target(self, value: Any, jpath: str) -> TargetSpec:
        ck = self.ck
        ck.expect(isinstance(value, dict), jpath, "expected an object with 'shape' or 'bone'")
        ck.expect(("shape" in value) != ("bone" in value), jpath, "expected exactly one of 'shape', 'bone'")
        kind: TargetKind = "shape" if "shape" in value else "bone"
        name = ck.need(join(jpath, kind), string, value[kind])
        ck.expect(bool(name.strip()), join(jpath, kind), "empty name")
        curve = self.curve(value["curve"], join(jpath, "curve")) if "curve" in value else None
        fallback = self.targets(value.get("fallback", []), join(jpath, "fallback"))
        if kind == "shape":
            ck.keys(value, jpath, ("shape", "weight", "curve", "fallback", "note"))
            weight = ck.need(join(jpath, "weight"), number, value.get("weight", 1.0), minimum=-MAX_WEIGHT,
                             maximum=MAX_WEIGHT)
            return TargetSpec("shape", name, weight=weight, curve=curve, fallback=fallback, source=jpath)
        ck.keys(value, jpath, ("bone", "axis", "degrees", "curve", "fallback", "note"))
        axis = value.get("axis")
        ck.expect(axis in AXES, join(jpath, "axis"), f"expected one of {', '.join(AXES)}")
        ck.expect("degrees" in value, jpath, "a bone target needs 'degrees' (rotation at full intensity)")
        degrees = ck.need(join(jpath, "degrees"), number, value["degrees"], minimum=-MAX_DEGREES,
                          maximum=MAX_DEGREES)
        return TargetSpec(
            "bone", name, axis=axis, degrees=degrees, curve=curve, fallback=fallback, source=jpath
        )

    def curve(self, value: Any, jpath: str) -> Curve:
        ck = self.ck
        ok = isinstance(value, list) and len(value) >= 2
        ck.expect(ok, jpath, "expected a list of at least two [x, y] points")
        points = []
        for i, point in enumerate(value):
            ok = isinstance(point, list) and len(point) == 2
            ck.expect(ok, f"{jpath}[{i}]", "expected an [x, y] pair")
            x = ck.need(f"{jpath}[{i}][0]", number, point[0])
            points.append((x, ck.need(f"{jpath}[{i}][1]", number, point[1])))
        xs = [x for x, _ in points]
        ck.expect(xs[0] == 0.0 and xs[-1] == 1.0, jpath, "x must run from 0 to 1")
        ck.expect(all(a < b for a, b in pairwise(xs)), jpath, "x must strictly increase")
        return tuple(points)

    def combination(self, value: Any, jpath: str) -> Combination:
        ck = self.ck
        ck.expect(isinstance(value, dict), jpath, "expected an object")
        ck.keys(value, jpath, ("name", "controls", "mode", "targets", "note"))
        names = value.get("controls")
        ok = isinstance(names, list) and len(names) >= 2
        ck.expect(ok, join(jpath, "controls"), "expected a list of at least two control names")
        controls = tuple(self.control(n, f"{jpath}.controls[{i}]") for i, n in enumerate(names))
        ck.expect(len(set(controls)) == len(controls), join(jpath, "controls"), "a control is listed twice")
        mode = value.get("mode", "min")
        ck.expect(mode in ("min", "product"), join(jpath, "mode"), "expected 'min' or 'product'")
        targets = self.targets(value.get("targets"), join(jpath, "targets"))
        ck.expect(bool(targets), join(jpath, "targets"), "expected at least one target")
        name = ck.need(join(jpath, "name"), string, value.get("name", "+".join(controls)))
        return Combination(name, controls, mode, targets, source=jpath)


# ----------------------------------------------------------------------------------------------
# Linear view for solvers


def linear_shape_matrix(preset: MappingPreset) -> tuple[list[str], list[str], np.ndarray]:
    """The preset's linear AU→shape weights: ``W[i, j]`` is how much shape ``i`` moves per unit of
    control ``j`` (primary targets; a curve counts by its value at 1; no clamp, no combinations).

    For solvers going the other way (blendshape weights → AU values); controls that move no shape
    key (head and eye bones) are left out.
    """
    controls = [c for c, specs in preset.controls.items() if any(s.kind == "shape" for s in specs)]
    shapes: dict[str, int] = {}
    for control in controls:
        for spec in preset.controls[control]:
            if spec.kind == "shape":
                shapes.setdefault(spec.name, len(shapes))
    w = np.zeros((len(shapes), len(controls)))
    for j, control in enumerate(controls):
        for spec in preset.controls[control]:
            if spec.kind == "shape":
                w[shapes[spec.name], j] += spec.at_full()
    return controls, list(shapes), w
