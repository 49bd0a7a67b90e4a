# SPDX-License-Identifier: GPL-3.0-or-later
"""The FACS rig on a mesh: AU controls as custom properties, simple-expression drivers on the
mapped shape keys and bones, and a record of everything created so removal can undo it exactly.

What the drivers compute is :mod:`facs_rig.core.mapping.evaluate` (tested equal); the rig adds
only Blender plumbing. Nothing here needs the add-on at playback: custom properties and simple
expressions evaluate in any Blender, with auto-run off.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import bpy
import numpy as np

from ..core.catalogue import get_au
from ..core.errors import FacsError
from ..core.mapping.drivers import DriverSpec, driver_specs
from ..core.mapping.matching import NameIndex
from ..core.mapping.presets import load_preset
from ..core.mapping.resolve import Coverage, ResolvedMapping, resolve, resolve_auto
from ..core.model import parse_control_name
from . import anim_compat
from .addon import preferences

META = "facs_rig"
"""Object custom property (a group): ``json`` holds the rig's record, ``armature`` points at the
armature whose bones the rig drives (a pointer survives renaming)."""
META_VERSION = 1
ROTATION_PATHS = ("rotation_euler", "rotation_quaternion", "rotation_axis_angle")
SIDE_WORDS = {"L": "subject's left", "R": "subject's right", "T": "top lip", "B": "bottom lip"}
HAS_DRIVER = "it already has a driver"
HAS_KEYS = "it has keyframes facs_rig did not make (a driver would silence them)"


@dataclass
class RigReport:
    preset: str
    controls: list[str]
    drivers: int
    coverage: Coverage
    skipped: list[str] = field(default_factory=list)
    """Targets left alone because someone else's driver or keyframes already move them."""
    candidates: list[Coverage] = field(default_factory=list)
    """With ``preset="auto"``: every preset's coverage, best first."""
    reasons: dict[str, str] = field(default_factory=dict)
    """Skipped target → why (:data:`HAS_DRIVER` or :data:`HAS_KEYS`)."""
    meshes: list[str] = field(default_factory=list)
    """The avatar's other meshes whose shape keys follow the same controls (teeth, eyes, ...)."""

    @property
    def warnings(self) -> list[str]:
        skipped = [f"skipped {s}: {self.reasons.get(s, HAS_DRIVER)}" for s in self.skipped]
        return skipped + self.coverage.warnings

    def summary(self) -> str:
        also = f" (and on {', '.join(self.meshes)})" if self.meshes else ""
        return (
            f"FACS rig ({self.preset}): {len(self.controls)} controls, {self.drivers} drivers{also}, "
            f"{len(self.coverage.missing)} preset targets not found, {len(self.skipped)} skipped"
        )


# ----------------------------------------------------------------------------------------------
# What is on the mesh


def shape_key_names(obj: bpy.types.Object) -> list[str]:
    keys = cast(bpy.types.Mesh, obj.data).shape_keys
    if keys is None:
        return []
    return [kb.name for kb in keys.key_blocks if kb != keys.reference_key]


def find_armature(obj: bpy.types.Object) -> bpy.types.Object | None:
    """The armature deforming ``obj`` (modifier first, then parent), if any."""
    arm = obj.find_armature()
    if arm is None and obj.parent is not None and obj.parent.type == "ARMATURE":
        arm = obj.parent
    return arm


def _root(obj: bpy.types.Object) -> bpy.types.Object:
    while obj.parent is not None:
        obj = obj.parent
    return obj


def face_meshes(obj: bpy.types.Object, armature: bpy.types.Object | None) -> list[bpy.types.Object]:
    """The avatar's other meshes with shape keys: deformed by ``armature`` or in ``obj``'s parent
    hierarchy (teeth, tongue, eyes, lashes, brows, beard). A Ready Player Me avatar carries the same
    ARKit keys on ``Wolf3D_Head``, ``Wolf3D_Teeth``, ``EyeLeft`` and ``EyeRight``; driving only the
    head would leave the teeth behind when the jaw opens. Meshes rigged as faces themselves, and
    meshes sharing ``obj``'s shape keys, are not included."""
    root = _root(obj)
    key = cast(bpy.types.Mesh, obj.data).shape_keys
    found = []
    for other in bpy.data.objects:
        if (other == obj or other.type != "MESH" or cast(bpy.types.Mesh, other.data).shape_keys in (None, key)
                or META in other):  # type: ignore[operator]  # stubs: no bpy_struct.__contains__
            continue
        if (armature is not None and find_armature(other) == armature) or _root(other) == root:
            found.append(other)
    return sorted(found, key=lambda o: o.name)


def bone_frames(arm: bpy.types.Object | None) -> dict[str, np.ndarray]:
    """Bone name → matrix taking world (= face frame: +X subject's left, face toward -Y, +Z up)
    vectors into the bone's rest axes, the frame its pose rotation is expressed in."""
    if arm is None:
        return {}
    world = np.array(arm.matrix_world.to_3x3().normalized())
    frames = {}
    for bone in cast(bpy.types.Armature, arm.data).bones:
        rest = world @ np.array(bone.matrix_local.to_3x3().normalized())
        frames[bone.name] = rest.T
    return frames


def resolve_for(
    obj: bpy.types.Object,
    preset: str = "auto",
    armature: bpy.types.Object | None = None,
    user_dirs: Sequence[str] = (),
) -> tuple[ResolvedMapping, list[Coverage]]:
    """Bind a preset (or the best one) to ``obj`` without touching it."""
    shapes = shape_key_names(obj)
    bones = bone_frames(armature)
    if preset == "auto":
        return resolve_auto(shapes, bones, user_dirs, mesh=repr(obj.name))
    resolved = resolve(load_preset(preset, user_dirs), shapes, bones)
    if not resolved.targets:
        raise FacsError(f"preset {resolved.preset!r} finds no shape key or bone on {obj.name!r}")
    return resolved, [resolved.coverage]


def user_preset_dirs(context: bpy.types.Context | None = None) -> list[str]:
    prefs = preferences(context)
    folder = getattr(prefs, "user_presets_dir", "") if prefs else ""
    return [bpy.path.abspath(folder)] if folder else []


# ----------------------------------------------------------------------------------------------
# The record


@dataclass
class ShapeRecord:
    """The drivers the rig put on one shape-key block, and the values they overrode."""

    shape_drivers: list[str] = field(default_factory=list)
    shape_values: dict[str, float] = field(default_factory=dict)


@dataclass
class MeshRecord(ShapeRecord):
    """Another mesh of the avatar that follows the face (teeth, eyes, ...)."""

    targets: dict[str, str] = field(default_factory=dict)
    """The face's shape-key name → this mesh's key of that name."""
    created_anim: bool = False
    """Whether the rig gave the mesh's shape keys their animation data (removed with the rig)."""


@dataclass
class RigRecord(ShapeRecord):
    """Everything a rig created and overrode, so removing it puts the mesh back exactly. Stored as
    JSON in the object's ``facs_rig`` property (the keys are the field names, as in every .blend
    rigged so far); the armature and the follower meshes are ID pointers beside it, which survive
    renaming."""

    version: int = META_VERSION
    preset: str = ""
    preset_path: str = ""
    controls: list[str] = field(default_factory=list)
    created_controls: list[str] = field(default_factory=list)
    """The controls the rig added (the user's own properties of those names stay)."""
    bone_drivers: list[tuple[str, int]] = field(default_factory=list)
    bones: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Bone name → its rotation mode and rotations before the rig (see ``_save_bone``)."""
    created_anim: list[str] = field(default_factory=list)
    """Owners (``key``, ``arm``) whose animation data the rig created."""
    skipped: dict[str, str] = field(default_factory=dict)
    meshes: list[MeshRecord] = field(default_factory=list)
    armature: bpy.types.Object | None = None
    mesh_objects: list[bpy.types.Object | None] = field(default_factory=list)
    """The follower meshes, in ``meshes`` order (None where one was deleted)."""

    def to_json(self) -> str:
        data = asdict(self)
        del data["armature"], data["mesh_objects"]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str, armature: bpy.types.Object | None,
                  mesh_objects: Mapping[str, bpy.types.Object]) -> RigRecord:
        """The record as stored; ``mesh_objects`` maps each follower's index (``"0"``, ...) to
        its mesh. Records from before follower meshes (no ``meshes``, ``skipped`` a list) load
        too."""
        data = json.loads(text)
        meshes = data.get("meshes", [])
        skipped = data.get("skipped", {})
        return cls(
            version=data.get("version", META_VERSION),
            preset=data["preset"],
            preset_path=data.get("preset_path", ""),
            controls=data["controls"],
            created_controls=data["created_controls"],
            shape_drivers=data["shape_drivers"],
            shape_values=data["shape_values"],
            bone_drivers=[(path, index) for path, index in data["bone_drivers"]],
            bones=data["bones"],
            created_anim=data["created_anim"],
            skipped=skipped if isinstance(skipped, dict) else dict.fromkeys(skipped, HAS_DRIVER),
            meshes=[MeshRecord(**mesh) for mesh in meshes],
            armature=armature,
            mesh_objects=[mesh_objects.get(str(i)) for i in range(len(meshes))],
        )


def rig_info(obj: bpy.types.Object) -> RigRecord | None:
    """The rig's record on ``obj`` (preset, controls, drivers, what it replaced), or None."""
    group = obj.get(META)
    if group is None or not hasattr(group, "get") or not isinstance(group.get("json"), str):
        return None
    return RigRecord.from_json(group["json"], group.get("armature"), group.get("meshes") or {})


def rig_mapping(obj: bpy.types.Object, user_dirs: Sequence[str] = ()) -> ResolvedMapping:
    """The mapping ``obj``'s rig was built from, resolved again (what its drivers compute, for
    :func:`facs_rig.core.mapping.evaluate.evaluate_targets`). Raises :class:`FacsError` when
    ``obj`` has no rig or its preset is gone."""
    info = rig_info(obj)
    if info is None:
        raise FacsError(f"{obj.name!r} has no FACS rig")
    path = info.preset_path
    source = path if path and Path(path).is_file() else info.preset
    return resolve_for(obj, source, info.armature, user_dirs)[0]


def is_rigged(obj: bpy.types.Object | None) -> bool:
    return obj is not None and obj.type == "MESH" and rig_info(obj) is not None


# ----------------------------------------------------------------------------------------------
# Building


def _validate(obj: Any, armature: Any) -> None:
    if not isinstance(obj, bpy.types.Object) or obj.type != "MESH":
        raise FacsError(f"a FACS rig goes on a mesh object, not {getattr(obj, 'name', obj)!r}")
    if armature is not None and (not isinstance(armature, bpy.types.Object) or armature.type != "ARMATURE"):
        raise FacsError(f"{getattr(armature, 'name', armature)!r} is not an armature object")
    group = obj.get(META)
    if group is not None and rig_info(obj) is None:
        raise FacsError(f"{obj.name!r} has a {META!r} property facs_rig did not write; rename it first")


def _check_controls(obj: bpy.types.Object, controls: Sequence[str], ours: set[str]) -> None:
    for control in controls:
        if control in obj and control not in ours and not isinstance(obj[control], int | float):  # type: ignore[operator]  # stubs: no bpy_struct.__contains__
            raise FacsError(f"{obj.name!r} has a property {control!r} that is not a number")


def _driver_paths(resolved: ResolvedMapping) -> dict[str, tuple[str, str, int]]:
    """Target key → (owner 'key'/'arm', data path, array index)."""
    out = {}
    for key, target in resolved.targets.items():
        if target.kind == "shape":
            out[key] = ("key", shape_path(target.name), -1)
        else:
            name = bpy.utils.escape_identifier(target.name)
            out[key] = ("arm", f'pose.bones["{name}"].rotation_euler', target.index)
    return out


def _has_driver(id_data: bpy.types.ID | None, path: str, index: int) -> bool:
    anim = id_data.animation_data if id_data is not None else None  # type: ignore[attr-defined]  # stubs: per ID subclass
    if anim is None:
        return False
    if index < 0:
        return anim.drivers.find(path) is not None
    return any(fc.data_path == path and fc.array_index == index for fc in anim.drivers)


def _taken(id_data: bpy.types.ID | None, path: str, index: int) -> str | None:
    """Why facs_rig may not drive this channel (someone else's driver or keyframes move it), or None."""
    if _has_driver(id_data, path, index):
        return HAS_DRIVER
    if anim_compat.user_curves(id_data, {(path, index)}):
        return HAS_KEYS
    return None


def _bone_taken(arm: bpy.types.Object, bone: str) -> str | None:
    """Why facs_rig may not turn this bone: a driver or keyframes on any of its rotations."""
    prefix = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].'
    rotations = {prefix + p for p in ROTATION_PATHS}
    anim = arm.animation_data
    if anim is not None and any(fc.data_path in rotations for fc in anim.drivers):
        return HAS_DRIVER
    if anim_compat.user_curves(arm, {(p, -1) for p in rotations}):
        return HAS_KEYS
    return None


def _add_driver(
    id_data: bpy.types.ID, path: str, index: int, spec: DriverSpec, obj: bpy.types.Object
) -> None:
    added = id_data.driver_add(path, index) if index >= 0 else id_data.driver_add(path)
    fcurve = cast(bpy.types.FCurve, added)  # one F-curve: a single index, or a path without array
    for modifier in list(fcurve.modifiers):  # driver_add's default Generator is an identity
        fcurve.modifiers.remove(modifier)
    driver = fcurve.driver
    driver.type = "SCRIPTED"
    for name, control in spec.variables.items():
        var = driver.variables.new()
        var.name = name
        var.type = "SINGLE_PROP"
        var.targets[0].id_type = "OBJECT"
        var.targets[0].id = obj
        var.targets[0].data_path = f'["{control}"]'
    driver.expression = spec.expression


def _control_description(control: str) -> str:
    number, channel = parse_control_name(control)
    side = f" ({SIDE_WORDS[channel]})" if channel else ""
    return f"AU{number} {get_au(number).name}{side}, 0..1 (facs_rig)"


def _save_bone(pose_bone: bpy.types.PoseBone) -> dict[str, Any]:
    return {
        "mode": pose_bone.rotation_mode,
        "euler": list(pose_bone.rotation_euler[:]),
        "quaternion": list(pose_bone.rotation_quaternion[:]),
        "axis_angle": list(pose_bone.rotation_axis_angle),
    }


def _restore_bone(pose_bone: bpy.types.PoseBone, saved: dict[str, Any]) -> None:
    pose_bone.rotation_mode = saved["mode"]
    pose_bone.rotation_euler = saved["euler"]
    pose_bone.rotation_quaternion = saved["quaternion"]
    pose_bone.rotation_axis_angle = saved["axis_angle"]


def _usable(
    resolved: ResolvedMapping, owners: dict[str, Any], paths: dict[str, tuple[str, str, int]]
) -> tuple[list[DriverSpec], dict[str, str]]:
    """Driver specs to create, and the targets skipped (→ why) because someone else's driver or
    keyframes already move them: a facs_rig driver would silently override those."""
    arm = owners["arm"]
    busy_bones = {t.name: _bone_taken(arm, t.name) for t in resolved.targets.values() if t.kind == "bone"}
    specs, skipped = [], {}
    for spec in driver_specs(resolved):
        owner, path, index = paths[spec.key]
        target = resolved.targets[spec.key]
        why = busy_bones[target.name] if target.kind == "bone" else _taken(owners[owner], path, index)
        if why:
            skipped[f"{target.kind} {target.name!r}"] = why
        else:
            specs.append(spec)
    return specs, dict(sorted(skipped.items()))


def shape_path(name: str) -> str:
    return f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'


def _drive_meshes(
    obj: bpy.types.Object,
    resolved: ResolvedMapping,
    specs: Sequence[DriverSpec],
    meshes: Sequence[bpy.types.Object],
) -> tuple[list[MeshRecord], dict[str, str]]:
    """The face's shape-key drivers again on each other mesh that has a key of the same name, with
    the same expression on the same controls; returns each mesh's record and what was skipped."""
    records: list[MeshRecord] = []
    skipped: dict[str, str] = {}
    for mesh in meshes:
        key = cast(bpy.types.Mesh, mesh.data).shape_keys
        index = NameIndex([kb.name for kb in key.key_blocks if kb != key.reference_key])
        record = MeshRecord(created_anim=key.animation_data is None)
        for spec in specs:
            target = resolved.targets[spec.key]
            name = index.find(target.name) if target.kind == "shape" else None
            if name is None:
                continue
            path = shape_path(name)
            if why := _taken(key, path, -1):
                skipped[f"shape {name!r} on {mesh.name!r}"] = why
                continue
            record.targets[target.name] = name
            record.shape_values[name] = key.key_blocks[name].value
            record.shape_drivers.append(path)
            _add_driver(key, path, -1, spec, obj)
        records.append(record)
    return records, skipped


def _create_controls(obj: bpy.types.Object, controls: Sequence[str], ours: set[str]) -> list[str]:
    """Add the controls ``obj`` lacks (0..1 custom properties); returns those facs_rig owns."""
    created = []
    for control in controls:
        if control in obj and control not in ours:  # type: ignore[operator]  # stubs: no bpy_struct.__contains__
            continue  # the user's own property of that name: read it, never touch it
        if control not in obj:  # type: ignore[operator]
            obj[control] = 0.0
        obj.id_properties_ui(control).update(  # type: ignore[func-returns-value,attr-defined]  # stubs: None
            min=0.0, max=1.0, soft_min=0.0, soft_max=1.0, default=0.0,
            description=_control_description(control),
        )
        created.append(control)
    return created


def build_rig(
    obj: bpy.types.Object,
    preset: str = "auto",
    armature: bpy.types.Object | None = None,
    user_dirs: Sequence[str] = (),
) -> RigReport:
    """Rig ``obj`` with ``preset`` (a name, a JSON path or ``"auto"``), driving the bones of
    ``armature`` (default: the armature deforming ``obj``) and the same shape keys on the avatar's
    other meshes (:func:`face_meshes`). Rebuilding replaces the previous rig and keeps its controls'
    values and animation. Raises :class:`FacsError` with nothing changed."""
    _validate(obj, armature)
    old = rig_info(obj)
    if armature is None:
        armature = (old.armature if old else None) or find_armature(obj)
    resolved, candidates = resolve_for(obj, preset, armature, user_dirs)
    ours = set(old.created_controls) if old else set()
    _check_controls(obj, resolved.controls, ours)
    if old is not None:
        _unbuild(obj, old, keep=set(resolved.controls))

    key = cast(bpy.types.Mesh, obj.data).shape_keys
    owners = {"key": key, "arm": armature}
    paths = _driver_paths(resolved)
    specs, skipped = _usable(resolved, owners, paths)
    driven = {paths[spec.key][0] for spec in specs}
    record = RigRecord(
        preset=resolved.preset,
        preset_path=resolved.preset_path,
        controls=resolved.controls,
        created_controls=_create_controls(obj, resolved.controls, ours),
        created_anim=[n for n in driven if owners[n] is not None
                      and owners[n].animation_data is None],  # type: ignore[attr-defined]  # stubs: per ID subclass
    )
    for spec in specs:
        owner_name, path, index = paths[spec.key]
        target = resolved.targets[spec.key]
        if target.kind == "shape":
            record.shape_values[target.name] = key.key_blocks[target.name].value
            record.shape_drivers.append(path)
        else:
            if target.name not in record.bones:
                pose_bone = armature.pose.bones[target.name]
                record.bones[target.name] = _save_bone(pose_bone)
                pose_bone.rotation_mode = resolved.bone_orders[target.name]  # type: ignore[assignment]
            record.bone_drivers.append((path, index))
        _add_driver(owners[owner_name], path, index, spec, obj)
    meshes = face_meshes(obj, armature)
    mesh_records, also_skipped = _drive_meshes(obj, resolved, specs, meshes)
    skipped |= also_skipped
    followers = [(m, r) for m, r in zip(meshes, mesh_records, strict=True) if r.shape_drivers]
    record.meshes = [r for _, r in followers]
    record.skipped = skipped

    obj[META] = {"json": record.to_json()}
    if record.bones:
        obj[META]["armature"] = armature
    if followers:
        obj[META]["meshes"] = {str(i): m for i, (m, _) in enumerate(followers)}
    obj.update_tag()
    drivers = len(specs) + sum(len(r.shape_drivers) for r in record.meshes)
    return RigReport(resolved.preset, resolved.controls, drivers, resolved.coverage, list(skipped),
                     candidates, reasons=skipped, meshes=[m.name for m, _ in followers])


# ----------------------------------------------------------------------------------------------
# Removing


def _remove_drivers(id_data: bpy.types.ID | None, entries: Sequence[tuple[str, int]]) -> None:
    anim = id_data.animation_data if id_data is not None else None  # type: ignore[attr-defined]  # stubs: per ID subclass
    if anim is None:
        return
    wanted = {(path, index) for path, index in entries}
    for fcurve in [fc for fc in anim.drivers if (fc.data_path, fc.array_index) in wanted]:
        anim.drivers.remove(fcurve)


def _clear_if_empty(id_data: bpy.types.ID | None) -> None:
    anim = id_data.animation_data if id_data is not None else None  # type: ignore[attr-defined]  # stubs: per ID subclass
    if anim is not None and anim.action is None and not anim.drivers and not anim.nla_tracks:
        id_data.animation_data_clear()


def _unbuild_shapes(key: bpy.types.Key | None, record: ShapeRecord) -> None:
    """Remove a record's shape-key drivers and put back the values they overrode."""
    _remove_drivers(key, [(path, 0) for path in record.shape_drivers])
    if key is not None:
        for name, value in record.shape_values.items():
            if name in key.key_blocks:
                key.key_blocks[name].value = value


def _unbuild(obj: bpy.types.Object, info: RigRecord, keep: set[str]) -> None:
    key = cast(bpy.types.Mesh, obj.data).shape_keys
    arm = info.armature
    _unbuild_shapes(key, info)
    for mesh, record in zip(info.mesh_objects, info.meshes, strict=True):
        data = cast(bpy.types.Mesh, mesh.data) if mesh is not None and mesh.type == "MESH" else None
        other = data.shape_keys if data is not None else None
        _unbuild_shapes(other, record)
        if record.created_anim:
            _clear_if_empty(other)
    _remove_drivers(arm, info.bone_drivers)
    if arm is not None:
        for name, saved in info.bones.items():
            if name in arm.pose.bones:
                _restore_bone(arm.pose.bones[name], saved)
    owners = {"key": key, "arm": arm}
    for owner_name in info.created_anim:
        _clear_if_empty(owners.get(owner_name))
    for control in info.created_controls:
        if control not in keep and control in obj:  # type: ignore[operator]
            del obj[control]
    del obj[META]


def remove_rig(obj: bpy.types.Object) -> bool:
    """Undo :func:`build_rig`: drivers, controls it created, bone rotation modes and the values
    they overrode go back to how they were. False when ``obj`` carries no rig."""
    info = rig_info(obj)
    if info is None:
        return False
    _unbuild(obj, info, keep=set())
    obj.update_tag()
    return True
