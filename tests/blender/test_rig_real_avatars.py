# SPDX-License-Identifier: GPL-3.0-or-later
"""Real avatars move as one face: every mesh carrying the face's shape keys (teeth, eyes, ...)
follows the same controls, also in a Blender without the add-on; head and eye bones are found
by the names common rigs give them; the user's keyframes are never silenced by a driver."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import bpy
import numpy as np
import pytest
from mathutils import Vector

from tests.blender.test_portrait_camera import GLB_EXPORT, ROOT
from tests.blender.test_rig import _primary, make_mesh

ARKIT_MESHES = ("Wolf3D_Head", "Wolf3D_Teeth", "EyeLeft", "EyeRight")


def _bone_armature(bones: dict[str, tuple[Vector, Vector]], name: str = "Armature") -> bpy.types.Object:
    arm = bpy.data.objects.new(name, bpy.data.armatures.new(name))
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    with bpy.context.temp_override(active_object=arm, object=arm):
        bpy.ops.object.mode_set(mode="EDIT")
        for bone, (head, tail) in bones.items():
            eb = arm.data.edit_bones.new(bone)
            eb.head, eb.tail = head, tail
        bpy.ops.object.mode_set(mode="OBJECT")
    return arm


def _skinned(name: str, shapes: list[str], arm: bpy.types.Object, z: float) -> bpy.types.Object:
    """A mesh like ``make_mesh``'s, lifted to ``z``, parented to ``arm`` with an Armature modifier;
    ``jawOpen`` moves every vertex down 1 cm (the whole teeth row drops with the jaw)."""
    obj = make_mesh(shapes, name)
    obj.location.z = z
    obj.parent = arm
    obj.modifiers.new("Armature", "ARMATURE").object = arm
    if "jawOpen" in shapes:
        for point in obj.data.shape_keys.key_blocks["jawOpen"].data:
            point.co.z -= 0.01
    return obj


@pytest.fixture
def arkit(addon: ModuleType) -> list[str]:
    return _primary(addon, "arkit52", "shape")


def _avatar(arkit: list[str], name: str = "Armature", x: float = 0.0) -> dict[str, bpy.types.Object]:
    """A Ready Player Me-like avatar: the 52 ARKit keys on the head, the teeth and both eyes, a body
    without keys, all parented to an armature with bones Hips, Neck, Head, LeftEye, RightEye."""
    up, fwd = Vector((0, 0, 0.1)), Vector((0, -0.03, 0))
    arm = _bone_armature({
        "Hips": (Vector((0, 0, 1.0)), Vector((0, 0, 1.1))),
        "Neck": (Vector((0, 0, 1.5)), Vector((0, 0, 1.6))),
        "Head": (Vector((0, 0, 1.6)), Vector((0, 0, 1.6)) + up),
        "LeftEye": (Vector((0.03, -0.08, 1.7)), Vector((0.03, -0.08, 1.7)) + fwd),
        "RightEye": (Vector((-0.03, -0.08, 1.7)), Vector((-0.03, -0.08, 1.7)) + fwd),
    }, name)
    arm.location.x = x
    suffix = "" if name == "Armature" else f".{name}"
    parts = {m: _skinned(m + suffix, arkit, arm, 1.6) for m in ARKIT_MESHES}
    body = make_mesh([], "Wolf3D_Body" + suffix)
    body.parent = arm
    return {"armature": arm, "body": body, **parts}


def _state(objects: list[bpy.types.Object]) -> dict[str, Any]:
    """Drivers, shape-key values and animation data of each mesh's keys, and custom properties."""
    out = {}
    for obj in objects:
        key = obj.data.shape_keys if obj.type == "MESH" else None
        anim = key.animation_data if key is not None else None
        drivers = sorted((d.data_path, d.driver.expression, d.mute,
                          tuple((v.name, v.targets[0].id.name, v.targets[0].data_path)
                                for v in d.driver.variables))
                         for d in anim.drivers) if anim else None
        out[obj.name] = {
            "props": sorted(k for k, _ in obj.items() if not k.startswith("_")),
            "values": [round(kb.value, 6) for kb in key.key_blocks] if key else None,
            "drivers": drivers,
        }
    return out


def _lowest_z(obj: bpy.types.Object) -> float:
    """Lowest evaluated vertex, in world space (shape keys and armature applied)."""
    dg = bpy.context.evaluated_depsgraph_get()
    ev = obj.evaluated_get(dg)
    mesh = ev.to_mesh()
    co = np.empty(3 * len(mesh.vertices))
    mesh.vertices.foreach_get("co", co)
    ev.to_mesh_clear()
    m = np.array(obj.matrix_world)
    world = co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]
    return float(world[:, 2].min())


def test_every_mesh_of_the_avatar_follows_the_face(addon: ModuleType, arkit: list[str]) -> None:
    parts = _avatar(arkit)
    other = _avatar(arkit, "Other", x=2.0)  # another character with the same keys: not ours
    rig = addon.blender.rig
    everything = [*parts.values(), *other.values()]
    before = _state(everything)
    head, teeth = parts["Wolf3D_Head"], parts["Wolf3D_Teeth"]

    report = rig.build_rig(head)
    assert report.preset == "arkit52"
    assert report.meshes == ["EyeLeft", "EyeRight", "Wolf3D_Teeth"]
    assert f"(and on {', '.join(report.meshes)})" in report.summary()
    n_shapes = len(head.data.shape_keys.animation_data.drivers)
    for name in report.meshes:
        drivers = parts[name].data.shape_keys.animation_data.drivers
        assert len(drivers) == n_shapes
        assert all(v.targets[0].id == head for d in drivers for v in d.driver.variables)
    assert _state(list(other.values())) == {o.name: before[o.name] for o in other.values()}
    assert parts["body"].data.shape_keys.animation_data is None  # only a Basis: nothing to drive

    rest = _lowest_z(teeth)
    head["AU26"] = 1.0
    head.update_tag()
    bpy.context.view_layer.update()
    jaw = head.data.shape_keys.key_blocks["jawOpen"].value
    assert jaw > 0.5
    assert teeth.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(jaw)
    assert _lowest_z(teeth) == pytest.approx(rest - 0.01 * jaw, abs=1e-5)  # the teeth drop with the jaw
    head["AU26"] = 0.0
    head.update_tag()
    bpy.context.view_layer.update()

    built = _state(everything)
    again = rig.build_rig(head)  # rebuild: the same drivers on every mesh, nothing doubled
    assert again.meshes == report.meshes and again.drivers == report.drivers
    assert _state(everything) == built
    assert rig.remove_rig(head)
    assert _state(everything) == before
    for name in ARKIT_MESHES:
        assert parts[name].data.shape_keys.animation_data is None
    rig.build_rig(head)
    assert _state(everything) == built


def test_a_user_driver_or_keys_on_another_mesh_are_left_alone(addon: ModuleType, arkit: list[str]) -> None:
    parts = _avatar(arkit)
    teeth = parts["Wolf3D_Teeth"].data.shape_keys
    user = teeth.key_blocks["jawOpen"].driver_add("value")
    user.driver.expression = "0.25"
    teeth.key_blocks["tongueOut"].value = 0.5
    teeth.key_blocks["tongueOut"].keyframe_insert("value", frame=1)
    report = addon.blender.rig.build_rig(parts["Wolf3D_Head"])
    assert "shape 'jawOpen' on 'Wolf3D_Teeth'" in report.skipped
    assert "shape 'tongueOut' on 'Wolf3D_Teeth'" in report.skipped
    assert any("tongueOut" in w and "keyframes" in w for w in report.warnings)
    jaw = [d for d in teeth.animation_data.drivers if "jawOpen" in d.data_path]
    assert [d.driver.expression for d in jaw] == ["0.25"]
    assert not [d for d in teeth.animation_data.drivers if "tongueOut" in d.data_path]


def test_bake_and_clear_cover_every_mesh(addon: ModuleType, arkit: list[str]) -> None:
    parts = _avatar(arkit)
    head, teeth = parts["Wolf3D_Head"], parts["Wolf3D_Teeth"]
    addon.blender.rig.build_rig(head)
    kf = addon.blender.keyframer
    timeline = addon.core.timeline.from_dict({
        "format": "facs-timeline", "version": 1, "name": "jaw", "fps": 24,
        "events": [{"au": 26, "intensity": 1.0, "onset": 0, "apex": 0.5, "offset": 1.0}]})
    kf.apply_timeline(head, timeline, mode="BAKE")
    key = teeth.data.shape_keys
    baked = addon.blender.anim_compat.container(key).fcurves.find('key_blocks["jawOpen"].value')
    assert baked is not None and baked.group.name == "facs_rig"
    assert all(d.mute for d in key.animation_data.drivers if "jawOpen" in d.data_path)
    scene = bpy.context.scene
    scene.frame_set(scene.frame_start + 12)
    assert key.key_blocks["jawOpen"].value == pytest.approx(head.data.shape_keys.key_blocks["jawOpen"].value)
    assert key.key_blocks["jawOpen"].value > 0.5
    kf.clear_animation(head)
    assert key.animation_data.action is None
    assert not any(d.mute for d in key.animation_data.drivers)


PLAYBACK = r"""
import json, sys
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
out = {"addons": sorted(a.module for a in bpy.context.preferences.addons),
       "facs_loaded": any("facs_rig" in m for m in sys.modules)}
for frame in (1, 10):
    bpy.context.scene.frame_set(frame)
    dg = bpy.context.evaluated_depsgraph_get()
    for name in ("Wolf3D_Head", "Wolf3D_Teeth", "EyeLeft"):
        obj = bpy.data.objects[name]
        ev = obj.evaluated_get(dg).to_mesh()
        z = min((obj.matrix_world @ v.co).z for v in ev.vertices)
        out[f"{name}:{frame}"] = [obj.data.shape_keys.key_blocks["jawOpen"].value, z]
print("RESULT" + json.dumps(out))
"""


def test_saved_avatar_opens_the_jaw_on_every_mesh_without_the_addon(
        addon: ModuleType, arkit: list[str], tmp_path: Path) -> None:
    parts = _avatar(arkit)
    head = parts["Wolf3D_Head"]
    addon.blender.rig.build_rig(head)
    for frame, value in ((1, 0.0), (10, 1.0)):
        head["AU26"] = value
        head.keyframe_insert('["AU26"]', frame=frame)
    path = tmp_path / "avatar.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "fresh_user"))
    proc = subprocess.run([sys.executable, "-c", PLAYBACK, str(path)], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    result = json.loads(lines[-1].removeprefix("RESULT"))
    assert not result["facs_loaded"] and not [a for a in result["addons"] if "facs" in a]
    jaw_open = result["Wolf3D_Head:10"][0]
    assert result["Wolf3D_Head:1"][0] == 0.0 and jaw_open > 0.5
    for name in ("Wolf3D_Teeth", "EyeLeft"):
        assert result[f"{name}:10"][0] == pytest.approx(jaw_open, abs=1e-6)
        assert result[f"{name}:10"][1] == pytest.approx(result[f"{name}:1"][1] - 0.01 * jaw_open, abs=1e-5)


# ----------------------------------------------------------------------------------------------
# Bone names


EYE_LEFT_X = 0.03


@pytest.mark.parametrize("names", [
    ("Head", "Neck", "LeftEye", "RightEye"),                      # Ready Player Me, VRM humanoid
    ("J_Bip_C_Head", "J_Bip_C_Neck", "J_Adj_L_FaceEye", "J_Adj_R_FaceEye"),  # VRoid
    ("CC_Base_Head", "CC_Base_NeckTwist01", "CC_Base_L_Eye", "CC_Base_R_Eye"),  # Character Creator
    ("DEF-spine.006", "DEF-spine.004", "DEF-eye.L", "DEF-eye.R"),  # Rigify deform bones
    ("mixamorig:Head", "mixamorig:Neck", "mixamorig:LeftEye", "mixamorig:RightEye"),
    ("head", "neck", "eye.L", "eye.R"),
])
@pytest.mark.parametrize("preset", ["arkit52", "cc4", "makehuman"])
def test_head_and_eye_bones_are_found_by_common_names(
        addon: ModuleType, preset: str, names: tuple[str, str, str, str]) -> None:
    head, neck, left, right = names
    obj = make_mesh(_primary(addon, preset, "shape"))
    eye = Vector((0, -0.03, 0))
    arm = _bone_armature({
        "Root": (Vector((0, 0, 0)), Vector((0, 0, 0.1))),
        neck: (Vector((0, 0, 1.5)), Vector((0, 0, 1.6))),
        head: (Vector((0, 0, 1.6)), Vector((0, 0, 1.7))),
        left: (Vector((EYE_LEFT_X, -0.08, 1.7)), Vector((EYE_LEFT_X, -0.08, 1.7)) + eye),
        right: (Vector((-EYE_LEFT_X, -0.08, 1.7)), Vector((-EYE_LEFT_X, -0.08, 1.7)) + eye),
    })
    obj.parent = arm
    report = addon.blender.rig.build_rig(obj, preset)
    driven = {d.data_path.split('"')[1] for d in arm.animation_data.drivers}
    assert {head, left, right} <= driven, report.coverage.missing
    assert "Root" not in driven
    # AU 61 (eyes turn to the subject's left) turns both eyes, the left one toward +X
    obj["AU61"] = 1.0
    obj.update_tag()
    bpy.context.view_layer.update()
    pose = arm.evaluated_get(bpy.context.evaluated_depsgraph_get()).pose
    for name in (left, right):
        gaze = pose.bones[name].matrix.to_3x3() @ Vector((0, 1, 0))
        assert gaze.x > 0.1 and gaze.y < 0, (name, tuple(gaze))
    assert math.isclose(pose.bones["Root"].matrix.to_3x3().determinant(), 1.0, abs_tol=1e-6)


def test_user_keyframes_keep_playing(addon: ModuleType, arkit: list[str]) -> None:
    parts = _avatar(arkit)
    head, arm = parts["Wolf3D_Head"], parts["armature"]
    jaw = head.data.shape_keys.key_blocks["jawOpen"]
    for frame in (1, 20):
        jaw.value = 0.8
        jaw.keyframe_insert("value", frame=frame)
        arm.pose.bones["Head"].rotation_quaternion = (0.98, 0.2, 0.0, 0.0)
        arm.pose.bones["Head"].keyframe_insert("rotation_quaternion", frame=frame)
    rig = addon.blender.rig
    report = rig.build_rig(head)
    assert {"shape 'jawOpen'", "bone 'Head'"} <= set(report.skipped)
    assert any(w.startswith("skipped shape 'jawOpen': it has keyframes") for w in report.warnings)
    assert "keyframes" in report.reasons["shape 'jawOpen'"]
    assert not [d for d in head.data.shape_keys.animation_data.drivers if '"jawOpen"' in d.data_path]
    assert not [d for d in arm.animation_data.drivers if '"Head"' in d.data_path]
    assert arm.pose.bones["Head"].rotation_mode == "QUATERNION"
    timeline = addon.core.timeline.from_dict({
        "format": "facs-timeline", "version": 1, "name": "jaw", "fps": 24,
        "events": [{"code": "26E+51E", "onset": 0, "apex": 0.2, "apex_end": 0.6, "offset": 0.8}]})
    addon.blender.keyframer.apply_timeline(head, timeline)
    bpy.context.scene.frame_set(10)
    assert head["AU26"] == pytest.approx(1.0)
    assert jaw.value == pytest.approx(0.8)  # the user's keys still play
    assert tuple(arm.pose.bones["Head"].rotation_quaternion) == pytest.approx((0.98, 0.2, 0.0, 0.0), abs=1e-5)
    # the other meshes mirror the face: the jaw the user animates by hand is not driven there either
    teeth = parts["Wolf3D_Teeth"].data.shape_keys
    assert not [d for d in teeth.animation_data.drivers if "jawOpen" in d.data_path]
    assert [d for d in teeth.animation_data.drivers if "mouthClose" in d.data_path]


# ----------------------------------------------------------------------------------------------
# VRoid / VRM

VROID = ["Fcl_ALL_Neutral", "Fcl_ALL_Joy", "Fcl_BRW_Angry", "Fcl_BRW_Sorrow", "Fcl_BRW_Surprised",
         "Fcl_EYE_Natural", "Fcl_EYE_Close", "Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_EYE_Joy",
         "Fcl_EYE_Joy_L", "Fcl_EYE_Joy_R", "Fcl_EYE_Angry", "Fcl_EYE_Spread", "Fcl_EYE_Surprised",
         "Fcl_MTH_A", "Fcl_MTH_I",
         "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O", "Fcl_MTH_Up", "Fcl_MTH_Down", "Fcl_MTH_Small",
         "Fcl_MTH_Surprised", "Fcl_MTH_Fun", "Fcl_HA_Hide"]
VRM_EXPRESSIONS = ["aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight", "happy", "angry", "sad",
                   "relaxed", "surprised", "lookUp", "lookDown", "lookLeft", "lookRight"]


def _vroid(shapes: list[str]) -> tuple[bpy.types.Object, bpy.types.Object]:
    face = make_mesh(shapes, "Face")
    eye = Vector((0, -0.03, 0))
    arm = _bone_armature({
        "J_Bip_C_Neck": (Vector((0, 0, 1.4)), Vector((0, 0, 1.5))),
        "J_Bip_C_Head": (Vector((0, 0, 1.5)), Vector((0, 0, 1.6))),
        "J_Adj_L_FaceEye": (Vector((EYE_LEFT_X, -0.05, 1.55)), Vector((EYE_LEFT_X, -0.05, 1.55)) + eye),
        "J_Adj_R_FaceEye": (Vector((-EYE_LEFT_X, -0.05, 1.55)), Vector((-EYE_LEFT_X, -0.05, 1.55)) + eye),
    })
    face.parent = arm
    face.modifiers.new("Armature", "ARMATURE").object = arm
    return face, arm


def test_a_vroid_face_gets_the_vrm_preset(addon: ModuleType) -> None:
    face, arm = _vroid(VROID)
    report = addon.blender.rig.build_rig(face)
    assert report.preset == "vrm"
    assert report.coverage.warnings == []
    key = face.data.shape_keys.key_blocks
    for control in ("AU45_L", "AU12_L", "AU12_R", "AU26", "AU01_L", "AU02_L", "AU61"):
        face[control] = 1.0
    face.update_tag()
    bpy.context.view_layer.update()
    assert key["Fcl_EYE_Close_L"].value == pytest.approx(1.0)  # the subject's left eye only
    assert key["Fcl_EYE_Close_R"].value == 0.0
    assert key["Fcl_MTH_Up"].value == pytest.approx(1.0)       # half from each side
    assert key["Fcl_MTH_A"].value == pytest.approx(0.7)
    assert key["Fcl_BRW_Surprised"].value == pytest.approx(0.5)
    assert key["Fcl_BRW_Sorrow"].value == pytest.approx(0.0)   # 1+2 is the surprised brow, not both
    assert key["Fcl_ALL_Joy"].value == 0.0                     # whole-face emotions stay the user's
    pose = arm.evaluated_get(bpy.context.evaluated_depsgraph_get()).pose
    gaze = pose.bones["J_Adj_L_FaceEye"].matrix.to_3x3() @ Vector((0, 1, 0))
    assert gaze.x > 0.1


@pytest.mark.parametrize(("shapes", "expected"), [
    (VROID, "vrm"),
    (VRM_EXPRESSIONS, "vrm"),
    ([*VROID, "jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft"], "vrm"),  # a few ARKit names
    ([*VRM_EXPRESSIONS, "jawOpen", "eyeBlinkLeft", "eyeBlinkRight"], "vrm"),
])
def test_auto_picks_the_richer_of_vrm_and_arkit(addon: ModuleType, shapes: list[str], expected: str) -> None:
    face, _ = _vroid(shapes)
    report = addon.blender.rig.build_rig(face)
    assert report.preset == expected
    scores = {c.preset: c for c in report.candidates}
    assert len(scores["vrm"].controls) > len(scores["arkit52"].controls)


def test_a_vroid_face_with_perfect_sync_keys_gets_arkit(addon: ModuleType, arkit: list[str]) -> None:
    face, _ = _vroid(VROID + arkit)  # VRoid plus the 52 ARKit keys ("perfect sync"): ARKit says more
    report = addon.blender.rig.build_rig(face)
    assert report.preset == "arkit52"
    scores = {c.preset: c for c in report.candidates}
    assert len(scores["arkit52"].controls) > len(scores["vrm"].controls)


def test_vrm_expression_names_alone_drive_blinks_and_visemes(addon: ModuleType) -> None:
    face, _ = _vroid(VRM_EXPRESSIONS)
    report = addon.blender.rig.build_rig(face, "vrm")
    moved = report.coverage.controls
    assert moved["AU45_L"] == ["shape:blinkLeft"] and moved["AU45_R"] == ["shape:blinkRight"]
    assert moved["AU26"] == ["shape:aa"] and moved["AU22_T"] == ["shape:oh"]
    assert moved["AU12_L"] == ["shape:happy"]
    assert "relaxed" in report.coverage.unused_shapes


def test_keys_added_after_the_rig_are_reported_not_silenced(addon: ModuleType, arkit: list[str]) -> None:
    parts = _avatar(arkit)
    head = parts["Wolf3D_Head"]
    rig, kf = addon.blender.rig, addon.blender.keyframer
    rig.build_rig(head)
    teeth = parts["Wolf3D_Teeth"].data.shape_keys.key_blocks["tongueOut"]
    for block in (head.data.shape_keys.key_blocks["jawOpen"], teeth):  # keyed by hand after rigging
        block.value = 0.8
        block.keyframe_insert("value", frame=1)
    timeline = addon.core.timeline.from_dict({
        "format": "facs-timeline", "version": 1, "name": "jaw", "fps": 24,
        "events": [{"au": 26, "intensity": 1.0, "onset": 0, "apex": 0.5, "offset": 1.0}]})
    warnings = kf.apply_timeline(head, timeline).warnings
    overridden = [w for w in warnings if "overrides" in w]
    assert len(overridden) == 2
    assert any('key_blocks["jawOpen"]' in w for w in overridden)
    assert any('key_blocks["tongueOut"]' in w for w in overridden)
    report = rig.build_rig(head)  # rebuilding hands both channels back to the user
    assert {"shape 'jawOpen'", "shape 'tongueOut' on 'Wolf3D_Teeth'"} <= set(report.skipped)
    assert not [w for w in kf.apply_timeline(head, timeline).warnings if "overrides" in w]
    bpy.context.scene.frame_set(5)
    assert head.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(0.8)
    assert teeth.value == pytest.approx(0.8)


def test_animate_on_an_rpm_glb_moves_every_mesh(addon: ModuleType, arkit: list[str], tmp_path: Path) -> None:
    _avatar(arkit)
    blend, glb = tmp_path / "rpm.blend", tmp_path / "rpm.glb"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    subprocess.run([sys.executable, "-c", GLB_EXPORT, str(blend), str(glb)], check=True, capture_output=True,
                   timeout=120)
    timeline = tmp_path / "jaw.json"
    timeline.write_text(json.dumps({
        "format": "facs-timeline", "version": 1, "name": "jaw", "fps": 24,
        "events": [{"au": 26, "intensity": 1.0, "onset": 0, "apex": 0.5, "apex_end": 1.0, "offset": 1.5}]}))
    out = tmp_path / "out.blend"
    proc = subprocess.run([sys.executable, "-m", "facs_rig", "animate", "--avatar", str(glb), "--timeline",
                           str(timeline), "-o", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "and on EyeLeft, EyeRight, Wolf3D_Teeth" in proc.stdout
    bpy.ops.wm.open_mainfile(filepath=str(out))
    bpy.context.scene.frame_set(bpy.context.scene.frame_start + 18)
    jaw = {m: bpy.data.objects[m].data.shape_keys.key_blocks["jawOpen"].value for m in ARKIT_MESHES}
    assert jaw["Wolf3D_Head"] > 0.5
    assert all(v == pytest.approx(jaw["Wolf3D_Head"]) for v in jaw.values()), jaw
