# SPDX-License-Identifier: GPL-3.0-or-later
"""A failed apply is never half-applied: whatever stops it (a timeline Blender cannot play, an
exception from the progress callback, Ctrl-C), the scene is left exactly as it was, with the
previous facs_rig animation and the user's own animation intact."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import bpy
import numpy as np
import pytest

from tests.blender.test_keyframer import RICH, _head, _timeline, key_user_animation

ROOT = Path(__file__).resolve().parents[2]
POINT_ATTRS = ("co", "handle_left", "handle_right")
POINT_ENUMS = ("handle_left_type", "handle_right_type", "interpolation", "easing", "type")


class Stop(Exception):
    """What the progress callback raises half-way."""


def _points(fc: bpy.types.FCurve) -> dict[str, list[float]]:
    points = fc.keyframe_points
    out = {}
    for attr in POINT_ATTRS:
        buf = np.empty(2 * len(points), np.float32)
        points.foreach_get(attr, buf)
        out[attr] = buf.tolist()
    for attr in POINT_ENUMS:
        buf = np.empty(len(points), np.int32)
        points.foreach_get(attr, buf)
        out[attr] = buf.tolist()
    return out


def _anim(addon: ModuleType, id_data: bpy.types.ID | None) -> Any:
    anim = id_data.animation_data if id_data is not None else None
    if anim is None:
        return None
    bag = addon.blender.anim_compat.container(id_data)
    curves = sorted(
        (fc.data_path, fc.array_index, fc.group.name if fc.group else "", fc.extrapolation, fc.mute,
         json.dumps(_points(fc)))
        for fc in (bag.fcurves if bag is not None else []))
    slot = anim.action_slot.identifier if addon.blender.anim_compat.SLOTTED and anim.action_slot else None
    drivers = sorted((d.data_path, d.array_index, d.driver.expression, d.mute) for d in anim.drivers)
    return (anim.action.name if anim.action else None, slot, curves, drivers)


def scene_state(addon: ModuleType) -> dict[str, Any]:
    """Every F-curve key (with handles and types), driver, custom property, shape-key value, action
    (with its slots) and the scene's rate and range."""
    scene = bpy.context.scene
    objects = {}
    for obj in bpy.data.objects:
        props = {k: v if isinstance(v, int | float | str) else repr(v) for k, v in obj.items()}
        key = obj.data.shape_keys if obj.type == "MESH" else None
        objects[obj.name] = (props, _anim(addon, obj), _anim(addon, key),
                             [round(kb.value, 6) for kb in key.key_blocks] if key else None)
    actions = {a.name: (sorted(s.identifier for s in a.slots) if addon.blender.anim_compat.SLOTTED else None,
                        dict(a.items()).get("facs_rig")) for a in bpy.data.actions}
    return {"objects": objects, "actions": actions,
            "scene": (scene.frame_start, scene.frame_end, scene.render.fps, round(scene.render.fps_base, 7))}


def _stop_at(fraction: float, exc: type[BaseException] = Stop) -> Any:
    def progress(f: float) -> None:
        if f > fraction:
            raise exc(f"stopped at {f:.2f}")
    return progress


@pytest.mark.parametrize(("before", "mode", "fraction", "exc"), [
    (None, "LIVE", 0.5, Stop),                    # nothing applied yet
    ("LIVE", "BAKE", 0.8, Stop),                  # stopped while baking target curves
    ("BAKE", "LIVE", 0.5, KeyboardInterrupt),     # Ctrl-C while keying controls after a bake
    ("BAKE", "BAKE", 0.99, Stop),                 # stopped after the last curve: drivers already muted
    ("LIVE", "LIVE", 0.4, Stop),                  # stopped right after the old curves went
])
def test_apply_stopped_half_way_restores_everything(addon: ModuleType, before: str | None, mode: str,
                                                    fraction: float, exc: type[BaseException]) -> None:
    mesh, rig = _head(addon)
    key_user_animation(mesh, rig)
    kf = addon.blender.keyframer
    scene = bpy.context.scene
    if before is not None:
        kf.apply_timeline(mesh, _timeline(addon), mode=before)
        fc = mesh.animation_data.action and addon.blender.anim_compat.container(mesh).fcurves.find('["AU26"]')
        fc.keyframe_points[1].co.y = 0.9  # the animator edited facs_rig's keys: they come back edited
        fc.keyframe_points[1].handle_left_type = "VECTOR"
        fc.update()
    state = scene_state(addon)
    other = {**RICH, "name": "other", "fps": 24, "events": RICH["events"][2:], "tracks": []}
    with pytest.raises(exc, match="stopped at"):
        kf.apply_timeline(mesh, _timeline(addon, other), mode=mode, set_scene_range=True,
                          progress=_stop_at(fraction, exc))
    assert scene_state(addon) == state
    assert (scene.render.fps, scene.frame_end) == (state["scene"][2], state["scene"][1])
    # and the rig still works: the same apply without the interruption goes through
    kf.apply_timeline(mesh, _timeline(addon, other), mode=mode, set_scene_range=True)
    assert kf.applied_name(mesh) == "other" and scene.render.fps == 24


LONG = {"au": 12, "intensity": 0.5, "onset": 1, "apex": 2, "offset": 2000}
"""Loads (2000 s is 60,000 frames at the loader's default 30 fps) but at a 1000 fps scene it ends
past Blender's last frame: only the keyframer can tell."""


@pytest.mark.parametrize(("change", "kwargs", "message"), [
    ({"fps": 1e-7}, {"set_scene_range": True}, "frame rates Blender can play"),  # built in Python
    ({"fps": None, "events": [LONG], "tracks": []}, {}, "past Blender's last frame 1048574"),
    ({}, {"start_frame": 1048570.0}, "past Blender's last frame 1048574"),
    ({}, {"start_frame": -3.0, "set_scene_range": True}, "outside the scene's frame range"),
    ({}, {"start_frame": float("inf")}, "outside the scene's frame range"),
])
def test_a_timeline_blender_cannot_play_is_refused_before_any_change(
        addon: ModuleType, change: dict[str, Any], kwargs: dict[str, Any], message: str) -> None:
    if "events" in change:
        change = {**change, "events": _timeline(addon, {**RICH, "events": change["events"]}).events}
    mesh, rig = _head(addon)
    key_user_animation(mesh, rig)
    kf = addon.blender.keyframer
    kf.apply_timeline(mesh, _timeline(addon), mode="BAKE")
    bpy.context.scene.render.fps = 1000
    state = scene_state(addon)
    timeline = dataclasses.replace(_timeline(addon), **change)  # what the Python API may be handed
    with pytest.raises(kf.KeyframerError, match=message):
        kf.apply_timeline(mesh, timeline, **kwargs)
    assert scene_state(addon) == state


def test_a_name_blender_cannot_store_still_applies(addon: ModuleType) -> None:
    mesh, _ = _head(addon)
    timeline = dataclasses.replace(_timeline(addon), name="take \udc80 one")  # the loader refuses it
    result = addon.blender.keyframer.apply_timeline(mesh, timeline)
    assert result.action == "FACS take ? one" == mesh.animation_data.action.name
    assert addon.blender.keyframer.applied_name(mesh) == "take \udc80 one"


def test_apply_operator_that_fails_while_keying_changes_nothing(addon: ModuleType, tmp_path: Path) -> None:
    mesh, rig = _head(addon)
    key_user_animation(mesh, rig)
    good, long = tmp_path / "good.json", tmp_path / "long.json"
    good.write_text(json.dumps(RICH))
    doc = {k: v for k, v in RICH.items() if k != "fps"}
    long.write_text(json.dumps({**doc, "events": [LONG], "tracks": []}))
    assert bpy.ops.facs.apply_timeline(filepath=str(good), mode="BAKE") == {"FINISHED"}
    bpy.context.scene.render.fps = 1000
    state = scene_state(addon)
    with pytest.raises(RuntimeError, match="past Blender's last frame"):
        bpy.ops.facs.apply_timeline(filepath=str(long), mode="LIVE", set_scene_range=True)
    assert scene_state(addon) == state


def test_animate_cli_that_cannot_apply_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "long.json"
    bad.write_text(json.dumps({**RICH, "events": [{**LONG, "offset": 40000}], "tracks": []}))
    out = tmp_path / "out.blend"
    out.write_bytes(b"previous output")
    command = [sys.executable, "-m", "facs_rig", "animate", "--timeline", str(bad), "-o", str(out)]
    proc = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "1048574" in proc.stderr and "Traceback" not in proc.stderr
    assert out.read_bytes() == b"previous output"
