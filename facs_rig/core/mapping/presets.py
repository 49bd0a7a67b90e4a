# SPDX-License-Identifier: GPL-3.0-or-later
"""Mapping presets: which shape keys and bones each AU control moves, read from JSON data files.

A preset speaks in the *names of a convention* (ARKit, CC4, ...), never in the names of one
particular mesh; :mod:`.matching` binds it to a mesh later. Loading validates everything up front
and names the JSON path of the first mistake, so a broken user preset never half-applies.
"""

from __future__ import annotations

import json
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
from ..model import parse_control_name

FORMAT_KEY = "facs_rig_mapping"
FORMAT_VERSION = 1
BUILTIN_DIR = PRESETS / "mappings"
AXES = ("X", "Y", "Z")

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


def load_preset(name_or_path: str | Path, user_dirs: Sequence[str | Path] = ()) -> MappingPreset:
    """A preset by name (user folders first, then built-ins) or by path to a JSON file."""
    text = str(name_or_path)
    looks_like_path = isinstance(name_or_path, Path) or text.endswith(".json") or "/" in text
    path = Path(text).expanduser() if looks_like_path else find_preset_file(text, user_dirs)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FacsError(f"{path}: cannot read mapping preset: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FacsError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    return parse_preset(data, path=path, default_name=path.stem)


def parse_preset(data: Any, path: Path | None = None, default_name: str = "") -> MappingPreset:
    where = f"{path}: " if path else ""
    p = _Parser(where)
    p.expect(isinstance(data, dict), "", "expected a JSON object")
    p.expect(
        data.get(FORMAT_KEY) == FORMAT_VERSION,
        FORMAT_KEY,
        f"expected {FORMAT_KEY!r}: {FORMAT_VERSION} (a facs_rig mapping preset)",
    )
    known = {FORMAT_KEY, "name", "label", "description", "controls", "combinations", "meta"}
    p.no_unknown(data, known, "")
    name = p.string(data.get("name", default_name), "name")
    controls_raw = data.get("controls")
    p.expect(isinstance(controls_raw, dict) and controls_raw, "controls", "expected a non-empty object")
    controls: dict[str, tuple[TargetSpec, ...]] = {}
    for control, targets in controls_raw.items():
        controls[p.control(control, f"controls.{control}")] = p.targets(targets, f"controls.{control}")
    combos_raw = data.get("combinations", [])
    p.expect(isinstance(combos_raw, list), "combinations", "expected a list")
    combos = tuple(p.combination(c, f"combinations[{i}]") for i, c in enumerate(combos_raw))
    meta = data.get("meta", {})
    p.expect(isinstance(meta, dict), "meta", "expected an object")
    return MappingPreset(
        name=name,
        label=p.string(data.get("label", name), "label"),
        description=p.string(data.get("description", ""), "description"),
        controls=controls,
        combinations=combos,
        path=path,
        meta=meta,
    )


class _Parser:
    """Validation helpers that raise :class:`FacsError` naming the file and JSON path."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, jpath: str, message: str) -> None:
        raise FacsError(f"{self.where}{jpath or '(top level)'}: {message}")

    def expect(self, ok: bool, jpath: str, message: str) -> None:
        if not ok:
            self.fail(jpath, message)

    def no_unknown(self, obj: dict[str, Any], known: set[str], jpath: str) -> None:
        for key in obj:
            self.expect(key in known, f"{jpath}.{key}".lstrip("."), f"unknown key (known: {sorted(known)})")

    def string(self, value: Any, jpath: str) -> str:
        self.expect(isinstance(value, str), jpath, "expected a string")
        return str(value)

    def number(self, value: Any, jpath: str) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        self.expect(ok, jpath, "expected a finite number")
        return float(value)

    def control(self, name: str, jpath: str) -> str:
        try:
            au, _channel = parse_control_name(name)
            valid = controls(get_au(au))
        except (ValueError, FacsError):
            valid = []
        if name not in valid:
            hint = f" (this AU's controls: {', '.join(valid)})" if valid else ""
            self.fail(jpath, f"{name!r} is not an AU control name like 'AU12_L' or 'AU26'{hint}")
        return name

    def targets(self, value: Any, jpath: str) -> tuple[TargetSpec, ...]:
        self.expect(isinstance(value, list), jpath, "expected a list of targets")
        return tuple(self.target(t, f"{jpath}[{i}]") for i, t in enumerate(value))

    def target(self, value: Any, jpath: str) -> TargetSpec:
        self.expect(isinstance(value, dict), jpath, "expected an object with 'shape' or 'bone'")
        self.expect(("shape" in value) != ("bone" in value), jpath, "expected exactly one of 'shape', 'bone'")
        kind: TargetKind = "shape" if "shape" in value else "bone"
        name = self.string(value[kind], f"{jpath}.{kind}")
        self.expect(bool(name.strip()), f"{jpath}.{kind}", "empty name")
        curve = self.curve(value["curve"], f"{jpath}.curve") if "curve" in value else None
        fallback = self.targets(value.get("fallback", []), f"{jpath}.fallback")
        if kind == "shape":
            self.no_unknown(value, {"shape", "weight", "curve", "fallback", "note"}, jpath)
            weight = self.number(value.get("weight", 1.0), f"{jpath}.weight")
            return TargetSpec("shape", name, weight=weight, curve=curve, fallback=fallback, source=jpath)
        self.no_unknown(value, {"bone", "axis", "degrees", "curve", "fallback", "note"}, jpath)
        axis = value.get("axis")
        self.expect(axis in AXES, f"{jpath}.axis", f"expected one of {', '.join(AXES)}")
        self.expect("degrees" in value, jpath, "a bone target needs 'degrees' (rotation at full intensity)")
        degrees = self.number(value["degrees"], f"{jpath}.degrees")
        return TargetSpec(
            "bone", name, axis=axis, degrees=degrees, curve=curve, fallback=fallback, source=jpath
        )

    def curve(self, value: Any, jpath: str) -> Curve:
        ok = isinstance(value, list) and len(value) >= 2
        self.expect(ok, jpath, "expected a list of at least two [x, y] points")
        points = []
        for i, point in enumerate(value):
            ok = isinstance(point, list) and len(point) == 2
            self.expect(ok, f"{jpath}[{i}]", "expected an [x, y] pair")
            x = self.number(point[0], f"{jpath}[{i}][0]")
            points.append((x, self.number(point[1], f"{jpath}[{i}][1]")))
        xs = [x for x, _ in points]
        self.expect(xs[0] == 0.0 and xs[-1] == 1.0, jpath, "x must run from 0 to 1")
        self.expect(all(a < b for a, b in pairwise(xs)), jpath, "x must strictly increase")
        return tuple(points)

    def combination(self, value: Any, jpath: str) -> Combination:
        self.expect(isinstance(value, dict), jpath, "expected an object")
        self.no_unknown(value, {"name", "controls", "mode", "targets", "note"}, jpath)
        names = value.get("controls")
        ok = isinstance(names, list) and len(names) >= 2
        self.expect(ok, f"{jpath}.controls", "expected a list of at least two control names")
        controls = tuple(self.control(n, f"{jpath}.controls[{i}]") for i, n in enumerate(names))
        self.expect(len(set(controls)) == len(controls), f"{jpath}.controls", "a control is listed twice")
        mode = value.get("mode", "min")
        self.expect(mode in ("min", "product"), f"{jpath}.mode", "expected 'min' or 'product'")
        targets = self.targets(value.get("targets"), f"{jpath}.targets")
        self.expect(bool(targets), f"{jpath}.targets", "expected at least one target")
        name = self.string(value.get("name", "+".join(controls)), f"{jpath}.name")
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
