# SPDX-License-Identifier: GPL-3.0-or-later
"""The FACS rig on synthetic meshes named after each convention: auto picks the preset and rigs
every control, drivers equal the numpy reference, rebuild is idempotent, removal restores the
object exactly, the user's data is never touched, bad input changes nothing, and a saved file
plays the same in a Blender without the add-on."""

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

from tests.blender.test_panel_support import snapshot as panel_snapshot

BUILTINS = ("arkit52", "cc4", "facs_native", "makehuman", "mblab")
ARKIT_UNDERSCORE = ("arkit52", lambda n: n.replace("Left", "_L").replace("Right", "_R"))


def _primary(addon: ModuleType, preset: str, kind: str) -> list[str]:
    """Target names a full rig of ``preset`` needs (fallbacks excluded)."""
    p = addon.core.mapping.load_preset(preset)
    specs = [s for targets in p.controls.values() for s in targets]
    specs += [s for combo in p.combinations for s in combo.targets]
    return list(dict.fromkeys(s.name for s in specs if s.kind == kind))


def make_mesh(shapes: list[str], name: str = "Face") -> bpy.types.Object:
    """A small grid with one shape key per name; each key moves its own vertex."""
    n = max(len(shapes), 1)
    verts = [(i * 0.01, 0.0, 0.0) for i in range(n + 2)]
    faces = [(i, i + 1, i + 2) for i in range(n)]
    me = bpy.data.meshes.new(name)
    me.from_pydata(verts, [], faces)
    obj = bpy.data.objects.new(name, me)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for i, shape in enumerate(shapes):
        kb = obj.shape_key_add(name=shape)
        kb.data[i].co.z += 0.01
        kb.value = 0.0
    return obj


def make_armature(
    bones: list[str], mesh: bpy.types.Object | None = None, roll_deg: float = 0.0
) -> bpy.types.Object:
    """Bones named as given; head/neck point up, eye bones forward (-Y), each rolled by ``roll_deg``."""
    arm = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    with bpy.context.temp_override(active_object=arm, object=arm):
        bpy.ops.object.mode_set(mode="EDIT")
        for i, name in enumerate(bones):
            eb = arm.data.edit_bones.new(name)
            eb.head = Vector((0.03 * (i % 2) - 0.015 if "eye" in name.lower() else 0.0, 0.0, 0.1 + 0.05 * i))
            direction = Vector((0, -0.02, 0)) if "eye" in name.lower() else Vector((0, 0, 0.05))
            eb.tail = eb.head + direction
            eb.roll = math.radians(roll_deg * (i + 1))
        bpy.ops.object.mode_set(mode="OBJECT")
    if mesh is not None:
        mesh.parent = arm
        mesh.modifiers.new("Armature", "ARMATURE").object = arm
    return arm


def control_values(controls: list[str], seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return {c: float(v) for c, v in zip(controls, rng.random(len(controls)), strict=True)}


def read_targets(obj: bpy.types.Object, arm: bpy.types.Object | None, keys: list[str]) -> dict[str, float]:
    dg = bpy.context.evaluated_depsgraph_get()
    key = obj.data.shape_keys
    eval_arm = arm.evaluated_get(dg) if arm is not None else None
    out = {}
    for k in keys:
        kind, rest = k.split(":", 1)
        if kind == "shape":
            out[k] = key.key_blocks[rest].value
        else:
            bone, index = rest.rsplit(":", 1)
            out[k] = eval_arm.pose.bones[bone].rotation_euler[int(index)]
    return out


def set_controls(obj: bpy.types.Object, values: dict[str, float]) -> None:
    for control, value in values.items():
        obj[control] = value
    obj.update_tag()
    bpy.context.view_layer.update()


def snapshot(obj: bpy.types.Object, arm: bpy.types.Object | None) -> dict[str, Any]:
    """Everything a rig could touch, in comparable form."""

    def drivers(id_data: bpy.types.ID | None) -> list[Any]:
        anim = id_data.animation_data if id_data is not None else None
        if anim is None:
            return ["no animation data"]
        found = sorted(
            (fc.data_path, fc.array_index, fc.driver.expression,
             tuple((v.name, v.targets[0].data_path) for v in fc.driver.variables))
            for fc in anim.drivers
        )
        return [*found, ("action", anim.action.name if anim.action else None)]

    key = obj.data.shape_keys
    shot = {
        "props": {k: (v if isinstance(v, int | float | str) else str(type(v))) for k, v in obj.items()},
        "keys": [(kb.name, round(kb.value, 6), kb.slider_min, kb.slider_max) for kb in key.key_blocks],
        "key_drivers": drivers(key),
    }
    if arm is not None:
        shot["bones"] = [
            (pb.name, pb.rotation_mode, tuple(round(x, 6) for x in pb.rotation_quaternion),
             tuple(round(x, 6) for x in pb.rotation_euler))
            for pb in arm.pose.bones
        ]
        shot["arm_drivers"] = drivers(arm)
    return shot


# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "spell"),
    [(p, None) for p in BUILTINS] + [ARKIT_UNDERSCORE],
    ids=[*BUILTINS, "arkit52_underscore"],
)
def test_auto_builds_a_full_rig_for_each_convention(addon: ModuleType, preset: str, spell: Any) -> None:
    shapes = _primary(addon, preset, "shape")
    obj = make_mesh([spell(s) if spell else s for s in shapes])
    arm = make_armature(_primary(addon, preset, "bone"), obj)
    report = addon.blender.rig.build_rig(obj)
    assert report.preset == preset
    assert report.coverage.missing == [] and report.coverage.uncovered == []
    preset_controls = set(addon.core.mapping.load_preset(preset).controls)
    assert set(report.controls) == preset_controls
    assert all(obj[c] == 0.0 for c in report.controls)
    drivers = list(obj.data.shape_keys.animation_data.drivers) + list(arm.animation_data.drivers)
    assert len(drivers) == report.drivers
    assert all(fc.driver.is_simple_expression and fc.driver.is_valid for fc in drivers)
    assert {kb.name for kb in obj.data.shape_keys.key_blocks[1:]} == {
        fc.data_path.split('"')[1] for fc in obj.data.shape_keys.animation_data.drivers
    }


@pytest.mark.parametrize("preset", BUILTINS)
def test_drivers_equal_the_reference(addon: ModuleType, preset: str) -> None:
    obj = make_mesh(_primary(addon, preset, "shape"))
    arm = make_armature(_primary(addon, preset, "bone"), obj, roll_deg=37.0)
    addon.blender.rig.build_rig(obj, preset)
    resolved, _ = addon.blender.rig.resolve_for(obj, preset, arm)
    keys = list(resolved.targets)
    for seed in range(4):
        values = control_values(resolved.controls, seed)
        if seed == 3:  # exercise exclusions and combinations at full strength
            values = {c: float(v > 0.5) for c, v in values.items()}
        set_controls(obj, values)
        got = read_targets(obj, arm, keys)
        ref = addon.core.mapping.evaluate.evaluate_targets(resolved, values)
        worst = max(abs(got[k] - float(ref[k])) for k in keys)
        assert worst < 1e-5, (seed, max(keys, key=lambda k: abs(got[k] - float(ref[k]))))


def test_bone_directions_on_a_rolled_rig(addon: ModuleType) -> None:
    """51 turns the head toward the subject's left (+X) and 61 both eyes, whatever the bone roll."""
    bones = ["head", "neck", "eye.L", "eye.R"]
    obj = make_mesh(["AU01_L"])
    arm = make_armature(bones, obj, roll_deg=55.0)
    addon.blender.rig.build_rig(obj, "facs_native", armature=arm)

    def forward(bone: str) -> Vector:
        dg = bpy.context.evaluated_depsgraph_get()
        pb = arm.evaluated_get(dg).pose.bones[bone]
        axis = Vector((0, -1, 0)) if "eye" in bone else Vector((0, 0, 1))
        rest = pb.bone.matrix_local.to_3x3()
        return (pb.matrix.to_3x3() @ rest.inverted() @ axis).normalized()

    before = {b: forward(b) for b in bones}
    set_controls(obj, {"AU51": 1.0})
    # a turn keeps the head's up vector and swings its face (-Y at rest) toward +X
    dg = bpy.context.evaluated_depsgraph_get()
    head = arm.evaluated_get(dg).pose.bones["head"]
    face = head.matrix.to_3x3() @ head.bone.matrix_local.to_3x3().inverted() @ Vector((0, -1, 0))
    assert face.x > 0.3 and abs(forward("head").z - 1.0) < 1e-6
    set_controls(obj, {"AU51": 0.0, "AU61": 1.0})
    assert forward("eye.L").x > 0.3 and forward("eye.R").x > 0.3
    set_controls(obj, {"AU61": 0.0, "AU63": 1.0})
    assert forward("eye.L").z > 0.2 and forward("eye.R").z > 0.2
    set_controls(obj, {"AU63": 0.0, "AU55": 1.0})
    assert forward("head").x > 0.2  # tilt toward the left shoulder
    set_controls(obj, {"AU55": 0.0})
    assert all((forward(b) - before[b]).length < 1e-6 for b in bones)


def test_rebuild_is_idempotent_and_remove_restores(addon: ModuleType) -> None:
    rig = addon.blender.rig
    names = [*_primary(addon, "arkit52", "shape"), "myCorrective"]
    obj = make_mesh(names)
    arm = make_armature(["Head", "Neck", "LeftEye", "RightEye", "Spine"], obj)
    for pb in arm.pose.bones:
        pb.rotation_mode = "QUATERNION"
        pb.rotation_quaternion = (0.9, 0.1, 0.2, 0.0)
    key = obj.data.shape_keys
    # the user's own data: a driver, animation, a slider value, a property
    user = key.key_blocks["eyeBlinkLeft"].driver_add("value")
    user.driver.type = "SCRIPTED"
    user.driver.expression = "0.25"
    key.key_blocks["jawOpen"].value = 0.4
    key.key_blocks["myCorrective"].value = 0.6
    key.key_blocks["myCorrective"].keyframe_insert("value", frame=1)
    obj["notes"] = "mine"
    obj["AU26"] = 0.3  # a property of a control's name the user made: read, never removed
    before = snapshot(obj, arm)

    report = rig.build_rig(obj)
    assert report.skipped == ["shape 'eyeBlinkLeft'"]
    assert any("eyeBlinkLeft" in w for w in report.warnings)
    blink = next(fc for fc in key.animation_data.drivers if "eyeBlinkLeft" in fc.data_path)
    assert blink.driver.expression == "0.25"
    assert arm.pose.bones["Spine"].rotation_mode == "QUATERNION"
    assert arm.pose.bones["Head"].rotation_mode != "QUATERNION"
    info = rig.rig_info(obj)
    assert info.preset == "arkit52" and "AU26" not in info.created_controls
    obj["AU12_L"] = 0.7
    built = snapshot(obj, arm)

    again = rig.build_rig(obj)
    assert snapshot(obj, arm) == built
    assert again.drivers == report.drivers and obj["AU12_L"] == pytest.approx(0.7)

    assert rig.remove_rig(obj) is True
    after = snapshot(obj, arm)
    assert after == before
    assert rig.remove_rig(obj) is False


def test_a_record_written_before_follower_meshes_still_removes(addon: ModuleType) -> None:
    """.blend files rigged before the record had ``meshes`` (and kept ``skipped`` as a list) must
    still come apart exactly."""
    rig = addon.blender.rig
    obj = make_mesh(_primary(addon, "arkit52", "shape"))
    before = snapshot(obj, None)
    rig.build_rig(obj, "arkit52")
    stored = json.loads(obj["facs_rig"]["json"])
    del stored["meshes"]
    stored["skipped"] = ["shape 'x'"]
    obj["facs_rig"]["json"] = json.dumps(stored)
    info = rig.rig_info(obj)
    assert info.meshes == [] and info.skipped == {"shape 'x'": rig.HAS_DRIVER}
    assert info.shape_drivers == stored["shape_drivers"] and info.preset == "arkit52"
    assert rig.remove_rig(obj) is True
    assert snapshot(obj, None) == before


def test_bad_input_changes_nothing(addon: ModuleType, tmp_path: Path) -> None:
    rig, FacsError = addon.blender.rig, addon.core.errors.FacsError
    obj = make_mesh(_primary(addon, "arkit52", "shape"))
    before = snapshot(obj, None)
    broken = tmp_path / "broken.json"
    broken.write_text('{"facs_rig_mapping": 1, "controls": {"AU12_L": [{"shape": "x", "weight": }]}}')
    cases = [
        ({"preset": "nope"}, "unknown mapping preset 'nope'"),
        ({"preset": str(broken)}, "broken.json:1:"),
        ({"preset": "facs_native"}, "finds no shape key or bone"),
        ({"armature": obj}, "is not an armature"),
    ]
    for kwargs, message in cases:
        with pytest.raises(FacsError, match=message):
            rig.build_rig(obj, **kwargs)
        assert snapshot(obj, None) == before
    empty = bpy.data.objects.new("Empty", None)
    with pytest.raises(FacsError, match="mesh object"):
        rig.build_rig(empty)
    obj["AU12_L"] = "text"
    with pytest.raises(FacsError, match="'AU12_L' that is not a number"):
        rig.build_rig(obj)
    del obj["AU12_L"]
    obj["facs_rig"] = 3
    with pytest.raises(FacsError, match="did not write"):
        rig.build_rig(obj)
    del obj["facs_rig"]
    assert snapshot(obj, None) == before


def test_operators(addon: ModuleType) -> None:
    rig = addon.blender.rig
    assert {"REGISTER", "UNDO"} <= addon.blender.ops_rig.FACS_OT_build_rig.bl_options
    assert {"REGISTER", "UNDO"} <= addon.blender.ops_rig.FACS_OT_remove_rig.bl_options
    assert not bpy.ops.facs.build_rig.poll()
    with pytest.raises(RuntimeError, match="Select a mesh object"):
        bpy.ops.facs.build_rig(preset="auto")
    plain = make_mesh([], name="Plain")  # a mesh whose only shape key is the basis
    plain.shape_key_clear()
    bpy.context.view_layer.objects.active = plain
    before = panel_snapshot(addon)
    with pytest.raises(RuntimeError, match="Plain"):
        bpy.ops.facs.build_rig(preset="auto")
    assert panel_snapshot(addon) == before
    obj = make_mesh(_primary(addon, "mblab", "shape"))
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.facs.build_rig.poll() and not bpy.ops.facs.remove_rig.poll()
    before = panel_snapshot(addon)
    with pytest.raises(RuntimeError, match="No object named 'Nope'"):
        bpy.ops.facs.build_rig(preset="auto", armature="Nope")
    assert panel_snapshot(addon) == before
    assert bpy.ops.facs.build_rig(preset="auto") == {"FINISHED"}
    assert rig.rig_info(obj).preset == "mblab"
    assert bpy.ops.facs.remove_rig() == {"FINISHED"}
    assert rig.rig_info(obj) is None and "AU12_L" not in obj
    assert panel_snapshot(addon) == before


PLAYBACK = r"""
import json, sys
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
obj = bpy.data.objects["Face"]
key = obj.data.shape_keys
arm = bpy.data.objects["Rig"]
controls = json.loads(sys.argv[2])
frames = []
for frame in (1, 5, 10):
    bpy.context.scene.frame_set(frame)
    dg = bpy.context.evaluated_depsgraph_get()
    pose = arm.evaluated_get(dg).pose
    targets = {"shape:" + kb.name: kb.value for kb in key.key_blocks[1:]}
    for fc in arm.animation_data.drivers:
        bone = fc.data_path.split('"')[1]
        targets[f"bone:{bone}:{fc.array_index}"] = pose.bones[bone].rotation_euler[fc.array_index]
    frames.append({"controls": {c: obj[c] for c in controls}, "targets": targets})
drivers = list(key.animation_data.drivers) + list(arm.animation_data.drivers)
print("RESULT" + json.dumps({
    "frames": frames,
    "simple": all(fc.driver.is_simple_expression and fc.driver.is_valid for fc in drivers),
    "addons": sorted(a.module for a in bpy.context.preferences.addons),
    "facs_loaded": any("facs_rig" in m for m in sys.modules),
    "autoexec": bpy.context.preferences.filepaths.use_scripts_auto_execute,
}))
"""


def test_saved_rig_plays_without_the_addon(addon: ModuleType, tmp_path: Path) -> None:
    rig = addon.blender.rig
    obj = make_mesh(_primary(addon, "makehuman", "shape"))
    arm = make_armature(["head", "neck", "eye.L", "eye.R"], obj, roll_deg=20.0)
    rig.build_rig(obj, "makehuman")
    resolved, _ = rig.resolve_for(obj, "makehuman", arm)
    for frame, seed in ((1, 1), (10, 2)):
        for control, value in control_values(resolved.controls, seed).items():
            obj[control] = value
            obj.keyframe_insert(f'["{control}"]', frame=frame)
    path = tmp_path / "rigged.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))

    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "fresh_user"))
    proc = subprocess.run(
        [sys.executable, "-c", PLAYBACK, str(path), json.dumps(resolved.controls)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    result = json.loads(lines[-1].removeprefix("RESULT"))
    assert result["simple"] and not result["facs_loaded"] and result["autoexec"] is False
    assert not [a for a in result["addons"] if "facs" in a]
    evaluate = addon.core.mapping.evaluate.evaluate_targets
    moved = 0.0
    for frame in result["frames"]:
        ref = evaluate(resolved, frame["controls"])
        assert set(ref) <= set(frame["targets"])
        for k, v in ref.items():
            assert frame["targets"][k] == pytest.approx(float(v), abs=1e-5), k
        moved = max(moved, *(abs(float(v)) for v in ref.values()))
    assert moved > 0.1


def test_user_preset_from_a_file_and_the_preferences_folder(addon: ModuleType, tmp_path: Path) -> None:
    rig = addon.blender.rig
    mine = {
        "facs_rig_mapping": 1,
        "controls": {"AU12_L": [{"shape": "SmileL"}], "AU12_R": [{"shape": "SmileR"}],
                     "AU26": [{"shape": "Open", "curve": [[0, 0], [0.5, 0.2], [1, 1]]}]},
        "combinations": [
            {"controls": ["AU12_L", "AU12_R"], "mode": "product", "targets": [{"shape": "Open"}]},
        ],
    }
    (tmp_path / "mine.json").write_text(json.dumps(mine))
    obj = make_mesh(["SmileL", "SmileR", "Open"])
    with pytest.raises(addon.core.errors.FacsError, match="has no FACS rig"):
        rig.rig_mapping(obj)
    rig.build_rig(obj, str(tmp_path / "mine.json"))
    resolved = rig.rig_mapping(obj)
    assert resolved.preset == "mine"
    assert set(resolved.targets) == {"shape:SmileL", "shape:SmileR", "shape:Open"}
    values = {"AU12_L": 0.5, "AU12_R": 0.8, "AU26": 0.75}
    set_controls(obj, values)
    ref = addon.core.mapping.evaluate.evaluate_targets(resolved, values)
    assert obj.data.shape_keys.key_blocks["Open"].value == pytest.approx(float(ref["shape:Open"]), abs=1e-6)
    assert float(ref["shape:Open"]) == pytest.approx(0.6 + 0.4)  # curve 0.6 plus the product 0.4, clamped
    rig.remove_rig(obj)

    prefs = bpy.context.preferences.addons[addon.__name__.removesuffix(".facs_rig")].preferences
    prefs.user_presets_dir = str(tmp_path)
    try:
        bpy.context.view_layer.objects.active = obj
        assert bpy.ops.facs.build_rig(preset="mine") == {"FINISHED"}
        assert rig.rig_info(obj).preset == "mine"
    finally:
        prefs.user_presets_dir = ""
