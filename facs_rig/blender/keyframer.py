# SPDX-License-Identifier: GPL-3.0-or-later
"""Timeline → F-curves on a rigged face, and back.

Live mode keys the AU control properties on the rig object (``obj["AU12_L"]``): a few keys per
event with handles that reproduce its ease exactly, per-frame samples where events overlap or a
track is dense (:mod:`..core.key_plan` decides). The rig's drivers turn controls into shape keys and
bones. Bake mode writes the same control keys and, on top, per-frame curves on the targets
themselves (``key_blocks["X"].value`` on the Key datablock, ``pose.bones["b"].rotation_euler`` on
the armature) and mutes facs_rig's drivers on those targets, since a driver overrides its
property's F-curve: playback then costs no driver evaluation and exporters see plain curves.
Clearing unmutes them.

Where the curves go (docs/keyframer.md): an ID that has an action keeps it and facs_rig writes into
it, through the ID's slot on 4.4+, in an F-curve group named ``facs_rig``; an ID without one gets a
dedicated action named after the timeline. facs_rig's curves are those in that group on paths it
writes; everything else is the user's and is never touched. A user curve on a path facs_rig needs is
an error, raised before anything changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import bpy
import numpy as np

from ..core.errors import FacsError
from ..core.key_plan import CurvePlan, plan_timeline
from ..core.key_readback import timeline_from_keys
from ..core.keys import Keys, dense_keys
from ..core.mapping.evaluate import evaluate_targets
from ..core.model import Timeline, control_of_path, is_control_name
from ..core.timeline import from_dict, to_dict
from ..core.timing import MAX_FRAME, check_frames, scene_rate, time_span
from . import anim_compat, rig
from .anim_checkpoint import Checkpoint

Mode = Literal["LIVE", "BAKE"]
MODES: tuple[str, ...] = ("LIVE", "BAKE")
GROUP = anim_compat.GROUP
"""F-curve group of every curve facs_rig writes."""
STATE = "_facs_rig_anim"
"""Custom property on the rig object: what was applied (JSON). The leading underscore hides it in
the UI. Export reads the applied timeline from it, clear the drivers bake muted."""
BAKED_PATH = re.compile(r'^(?:key_blocks\[".*"\]\.value|pose\.bones\[".*"\]\.rotation_euler)$')

Progress = Callable[[float], None]


class KeyframerError(FacsError):
    """The scene cannot take this timeline as it is (nothing was changed)."""


@dataclass
class ApplyResult:
    mode: str
    action: str
    controls: list[str]
    keys: int
    """Keys written on the controls (sparse events plus samples)."""
    baked_curves: int
    baked_keys: int
    frame_start: int
    frame_end: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{len(self.controls)} controls, {self.keys} keys"
        if self.mode == "BAKE":
            text += f", {self.baked_curves} baked curves ({self.baked_keys} keys)"
        return f"{text}, frames {self.frame_start}-{self.frame_end} in action '{self.action}'"


@dataclass
class BakedChannel:
    """One baked channel: where it goes and its value at every frame of the plan."""

    id_data: bpy.types.ID
    data_path: str
    index: int
    values: np.ndarray


def scene_fps(scene: bpy.types.Scene) -> float:
    """Frames per second the scene plays at (``fps / fps_base``: 29.97 is 30 / 1.001)."""
    return scene.render.fps / scene.render.fps_base


def control_path(control: str) -> str:
    return f'["{control}"]'


def rig_controls(obj: bpy.types.Object) -> list[str]:
    """The AU controls on ``obj``: its custom properties named like ``AU12_L``."""
    return [k for k in list(obj.keys()) if is_control_name(k)]


def has_controls(obj: bpy.types.Object | None) -> bool:
    return obj is not None and bool(rig_controls(obj))


def has_animation(obj: bpy.types.Object | None) -> bool:
    """Whether facs_rig has curves on ``obj`` (or its shape keys / armature) to clear or export."""
    return obj is not None and any(_ours(bag) for _, bag in _containers(obj))


def applied_name(obj: bpy.types.Object) -> str:
    """Name of the timeline last applied to ``obj`` ("" if none or unnamed)."""
    return str(_state(obj).get("timeline", {}).get("name", ""))


def applied_timing(obj: bpy.types.Object) -> tuple[str, float, float] | None:
    """Mode, frame rate and start frame (time 0) of the last apply to ``obj``; None if none."""
    state = _state(obj)
    try:
        return str(state["mode"]), float(state["fps"]), float(state["start_frame"])
    except (KeyError, TypeError, ValueError):
        return None


def _state(obj: bpy.types.Object) -> dict:
    try:
        state = json.loads(obj.get(STATE, "{}"))
    except (TypeError, json.JSONDecodeError):
        return {}
    return state if isinstance(state, dict) else {}


def _armature(obj: bpy.types.Object) -> bpy.types.Object | None:
    info = rig.rig_info(obj)
    return (info.armature if info else None) or rig.find_armature(obj)


def _animated_ids(obj: bpy.types.Object) -> dict[str, bpy.types.ID]:
    """The IDs facs_rig may animate for this rig by role: the object, its shape keys, its armature,
    the shape keys of the avatar's other meshes the rig drives (``key0``, ``key1``, ...). Roles, not
    names, are recorded, so renaming any of them between bake and clear is harmless."""
    ids: dict[str, bpy.types.ID] = {"object": obj}
    key = cast(bpy.types.Mesh, obj.data).shape_keys if obj.type == "MESH" else None
    if key is not None:
        ids["key"] = key
    arm = _armature(obj)
    if arm is not None:
        ids["armature"] = arm
    for i, (other, _record) in enumerate(_followers(obj)):
        ids[f"key{i}"] = other
    return ids


def _followers(obj: bpy.types.Object) -> list[tuple[bpy.types.Key, rig.MeshRecord]]:
    """The shape keys of the avatar's other meshes the rig drives, with their part of its record."""
    info = rig.rig_info(obj)
    pairs = zip(info.mesh_objects, info.meshes, strict=True) if info else ()
    return [(cast(bpy.types.Mesh, m.data).shape_keys, r) for m, r in pairs
            if m is not None and m.type == "MESH" and cast(bpy.types.Mesh, m.data).shape_keys is not None]


def _overridden(obj: bpy.types.Object) -> list[str]:
    """The user's keyframes on channels the rig drives, keyed after the rig was built: a driver
    overrides its property's F-curve, so they do not play. Building the rig skips such channels;
    applying in live mode says so rather than let them go silent."""
    info = rig.rig_info(obj)
    if info is None:
        return []
    drivers: list[tuple[bpy.types.ID | None, set[tuple[str, int]]]] = [
        (cast(bpy.types.Mesh, obj.data).shape_keys, {(p, -1) for p in info.shape_drivers}),
        (_armature(obj), set(info.bone_drivers)),
    ]
    drivers += [(key, {(p, -1) for p in record.shape_drivers}) for key, record in _followers(obj)]
    return [f"{id_data.name}: {fc.data_path} has keyframes of yours that facs_rig's driver overrides; "
            "rebuild the rig to let them play (it then leaves that channel alone)"
            for id_data, paths in drivers for fc in anim_compat.user_curves(id_data, paths)
            if id_data is not None]


def _containers(obj: bpy.types.Object) -> list[tuple[bpy.types.ID, anim_compat.Container]]:
    found = [(i, anim_compat.container(i)) for i in _animated_ids(obj).values()]
    return [(i, bag) for i, bag in found if bag is not None]


def _is_facs_path(data_path: str) -> bool:
    return control_of_path(data_path) is not None or BAKED_PATH.match(data_path) is not None


def _ours(bag: anim_compat.Container) -> list[bpy.types.FCurve]:
    return [fc for fc in bag.fcurves if fc.group is not None and fc.group.name == GROUP
            and _is_facs_path(fc.data_path)]


def _check_free(writes: Sequence[tuple[bpy.types.ID, str, int]]) -> None:
    """Refuse to write where the user already animates: a user curve on a path facs_rig needs."""
    taken = [f"{id_data.name}: {data_path}[{index}]" for id_data, data_path, index in writes
             if anim_compat.user_curves(id_data, {(data_path, index)})]
    if taken:
        more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
        raise KeyframerError(
            f"these properties already have animation facs_rig did not make: {', '.join(taken[:3])}{more}; "
            "delete those F-curves (or move them to another action) and apply again")


def bake_targets(obj: bpy.types.Object, plan: CurvePlan) -> list[BakedChannel]:
    """Per-frame values of every shape key and bone channel the rig drives, from the rig's mapping
    (:func:`..core.mapping.evaluate.evaluate_targets`, what its drivers compute). Controls the
    timeline does not move count with their current value, as the drivers would see them."""
    info = rig.rig_info(obj)
    if info is None:
        raise KeyframerError(f"baking needs a facs_rig rig on '{obj.name}': build the rig first")
    armature = _armature(obj)
    try:
        resolved = rig.rig_mapping(obj, rig.user_preset_dirs())
    except FacsError as exc:
        raise KeyframerError(f"cannot bake '{obj.name}': {exc}") from exc
    values: dict[str, np.ndarray | float] = {c: float(obj[c]) for c in rig_controls(obj)}
    values |= dict(zip(plan.controls, plan.reference, strict=True))
    targets = evaluate_targets(resolved, values)
    shape_paths = set(info.shape_drivers)
    bone_paths = set(info.bone_drivers)
    key = cast(bpy.types.Mesh, obj.data).shape_keys
    followers = _followers(obj)
    baked = []
    for target_key, target in resolved.targets.items():
        curve = np.broadcast_to(targets[target_key], plan.frames.shape)
        if target.kind == "shape":
            path = rig.shape_path(target.name)
            if path in shape_paths:
                baked.append(BakedChannel(key, path, 0, curve))
            for other, record in followers:  # the same key on the teeth, the eyes, ...
                there = rig.shape_path(record.targets.get(target.name, ""))
                if there in record.shape_drivers:
                    baked.append(BakedChannel(other, there, 0, curve))
        elif armature is not None:
            path = f'pose.bones["{bpy.utils.escape_identifier(target.name)}"].rotation_euler'
            if (path, target.index) in bone_paths:
                baked.append(BakedChannel(armature, path, target.index, curve))
    return baked


def _remove_ours(obj: bpy.types.Object) -> tuple[int, set[str]]:
    """Delete facs_rig's curves (not the actions), unmute the drivers bake muted."""
    removed = 0
    controls: set[str] = set()
    for _id, bag in _containers(obj):
        for fc in _ours(bag):
            if (control := control_of_path(fc.data_path)) is not None:
                controls.add(control)
            bag.fcurves.remove(fc)
            removed += 1
        anim_compat.drop_empty_group(bag, GROUP)
    ids = _animated_ids(obj)
    for role, data_path, index in _state(obj).get("muted", []):
        id_data = ids.get(role)
        drivers = id_data.animation_data.drivers if id_data and id_data.animation_data else None  # type: ignore[attr-defined]  # stubs: per ID subclass
        driver = drivers.find(data_path, index=index) if drivers else None
        if driver is not None:
            driver.mute = False
    return removed, controls


def _mute_drivers(obj: bpy.types.Object, baked: Sequence[BakedChannel]) -> list[list]:
    """Mute the drivers that read this rig's controls on the baked channels (the user's stay)."""
    roles = {i.as_pointer(): role for role, i in _animated_ids(obj).items()}
    muted = []
    for b in baked:
        anim = b.id_data.animation_data  # type: ignore[attr-defined]  # stubs: per ID subclass
        driver = anim.drivers.find(b.data_path, index=b.index) if anim else None
        if driver is None or driver.mute or not _reads_controls(driver, obj):
            continue
        driver.mute = True
        muted.append([roles[b.id_data.as_pointer()], b.data_path, b.index])
    return muted


def _reads_controls(driver: bpy.types.FCurve, obj: bpy.types.Object) -> bool:
    return any(t.id == obj and control_of_path(t.data_path) is not None
               for v in driver.driver.variables for t in v.targets)


def apply_timeline(
    obj: bpy.types.Object,
    timeline: Timeline,
    *,
    mode: Mode = "LIVE",
    scene: bpy.types.Scene | None = None,
    start_frame: float | None = None,
    set_scene_range: bool = False,
    progress: Progress | None = None,
) -> ApplyResult:
    """Animate ``obj``'s rig with ``timeline``, replacing what facs_rig wrote before.

    Time 0 is ``start_frame`` (default: the scene's start). ``set_scene_range`` first sets the
    scene's frame rate from the timeline's ``fps`` (if it has one) and then its frame range to the
    timeline's. Everything that can be checked (rate, frame range, names, user curves) is checked
    before the first change; if writing stops half-way all the same (an exception from
    ``progress``, Ctrl-C), the previous animation is put back before the error propagates.
    """
    scene = scene or bpy.context.scene
    if mode not in MODES:
        raise KeyframerError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    present = set(rig_controls(obj))
    if not present:
        raise KeyframerError(f"'{obj.name}' has no AU controls: build the rig first")
    report = progress or (lambda _f: None)
    fps, rate, start = _timing(timeline, scene, start_frame, set_scene_range)
    plan = plan_timeline(timeline, fps, start)
    report(0.2)
    controls = [c for c in plan.controls if c in present]
    warnings = list(timeline.warnings)
    missing = [c for c in plan.controls if c not in present]
    if missing:
        warnings.append(f"the rig has no control for {', '.join(missing)}: not animated")
    warnings += _overridden(obj) if mode == "LIVE" else []
    baked = bake_targets(obj, plan) if mode == "BAKE" else []
    report(0.4)
    _check_free([(obj, control_path(c), 0) for c in controls]
                + [(b.id_data, b.data_path, b.index) for b in baked])
    end = start + time_span(timeline)[1] * fps
    frame_start, frame_end = int(np.floor(start)), int(np.ceil(end))
    state: dict[str, Any] = {"mode": mode, "fps": fps, "start_frame": start, "muted": [],
                             "timeline": to_dict(timeline)}
    json.dumps(state)  # whatever the timeline holds must be storable before anything changes
    checkpoint = Checkpoint(list(_animated_ids(obj).values()), _ours, group=GROUP, obj=obj, props=[STATE],
                            scene=scene)
    try:
        action, baked_keys = _write(obj, plan, controls, baked, name=_action_name(timeline), report=report)
        state["muted"] = _mute_drivers(obj, baked)
        if set_scene_range:
            if rate is not None:
                scene.render.fps, scene.render.fps_base = rate
            scene.frame_start, scene.frame_end = frame_start, max(frame_end, frame_start)
        obj[STATE] = json.dumps(state)
        report(1.0)
    except BaseException:
        checkpoint.restore()
        raise
    for id_data in _animated_ids(obj).values():  # e.g. the Key after live follows bake (deletes: last)
        anim_compat.release(id_data)
    n_keys = sum(len(plan.keys[c]) for c in controls)
    return ApplyResult(mode, action, controls, n_keys, len(baked), baked_keys, frame_start, frame_end,
                       warnings)


def _timing(timeline: Timeline, scene: bpy.types.Scene, start_frame: float | None,
            set_scene_range: bool) -> tuple[float, tuple[int, float] | None, float]:
    """Frame rate, the scene rate to set (or None) and time 0's frame; refuses what Blender cannot
    play (a rate it cannot represent, frames past its range) before anything is computed per frame."""
    fps = scene_fps(scene)
    rate = None
    start = float(scene.frame_start if start_frame is None else start_frame)
    try:
        if set_scene_range and timeline.fps:
            rate = scene_rate(timeline.fps)
            fps = timeline.fps
        if not np.isfinite(start) or (set_scene_range and start < 0):
            raise FacsError(f"start frame {start:g} is outside the scene's frame range 0..{MAX_FRAME}")
        check_frames(*time_span(timeline), fps, start)
    except FacsError as exc:
        raise KeyframerError(f"cannot apply timeline {timeline.name!r}: {exc}") from None
    return fps, rate, start


def _action_name(timeline: Timeline) -> str:
    """The dedicated action's name; Blender names are UTF-8, so a lone surrogate becomes '?'."""
    name = f"FACS {timeline.name or 'timeline'}"
    return name.encode("utf-8", "replace").decode("utf-8")


def _write(obj: bpy.types.Object, plan: CurvePlan, controls: Sequence[str], baked: Sequence[BakedChannel],
           *, name: str, report: Progress) -> tuple[str, int]:
    """Replace facs_rig's curves with the plan's; returns the object's action's name and the number
    of baked keys."""
    _remove_ours(obj)
    maker = anim_compat.ActionMaker(name)
    bag = maker.ensure(obj)
    grp = anim_compat.group(bag, GROUP)
    for i, control in enumerate(controls):
        anim_compat.write_keys(anim_compat.new_fcurve(bag, control_path(control), 0, grp), plan.keys[control])
        report(0.4 + 0.3 * (i + 1) / max(len(controls), 1))
    baked_keys = 0
    for i, b in enumerate(baked):
        target_bag = maker.ensure(b.id_data)
        fc = anim_compat.new_fcurve(target_bag, b.data_path, b.index, anim_compat.group(target_bag, GROUP))
        keys = dense_keys(plan.frames, b.values)
        anim_compat.write_keys(fc, keys, exact=False)
        baked_keys += len(keys)
        report(0.7 + 0.3 * (i + 1) / max(len(baked), 1))
    return obj.animation_data.action.name, baked_keys


def clear_animation(obj: bpy.types.Object) -> int:
    """Remove facs_rig's curves from the rig (and its dedicated actions once empty), unmute the
    drivers bake muted and set the controls it animated back to 0. Returns the curves removed."""
    removed, controls = _remove_ours(obj)
    for control in controls:
        if control in obj:  # type: ignore[operator]  # stubs: no bpy_struct.__contains__
            obj[control] = 0.0
    for id_data in _animated_ids(obj).values():
        anim_compat.release(id_data)
    if STATE in obj:  # type: ignore[operator]
        del obj[STATE]
    return removed


def export_timeline(obj: bpy.types.Object, *, scene: bpy.types.Scene | None = None,
                    name: str = "", end: float | None = None) -> Timeline:
    """The timeline ``obj``'s control curves play: events from event keys, tracks from samples.

    Frames become seconds with the rate and start frame of the last apply (the scene's otherwise).
    Keys before that start frame are left out; a curve ending on a non-zero key (a pose keyed once
    holds) holds until ``end`` seconds, by default the scene's last frame.
    """
    scene = scene or bpy.context.scene
    state = _state(obj)
    bag = anim_compat.container(obj)
    curves: dict[str, Keys] = {}
    for fc in _ours(bag) if bag is not None else []:
        if (control := control_of_path(fc.data_path)) is not None:
            curves[control] = anim_compat.read_keys(fc)
    if not curves and not has_animation(obj):
        raise KeyframerError(f"'{obj.name}' has no facs_rig animation to export")
    stored = from_dict(state["timeline"]) if "timeline" in state else None
    fps = float(state.get("fps", scene_fps(scene)))
    start = float(state.get("start_frame", scene.frame_start))
    end = (scene.frame_end - start) / fps if end is None else end
    return timeline_from_keys(curves, fps, start, stored=stored, name=name, end=end)
