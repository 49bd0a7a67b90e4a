# SPDX-License-Identifier: GPL-3.0-or-later
"""Reset All and Key All on the face's AU controls, and how they refuse without a rig."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import bpy
import pytest

from tests.blender.test_panel_support import blender_module, make_head, snapshot


def _curve(addon: ModuleType, obj: bpy.types.Object, control: str) -> bpy.types.FCurve | None:
    bag = blender_module(addon).anim_compat.container(obj)
    return bag.fcurves.find(f'["{control}"]') if bag is not None else None


def _cube(name: str = "Cube") -> bpy.types.Object:
    obj = bpy.data.objects.new(name, bpy.data.meshes.new(name))
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    return obj


def test_reset_sets_every_control_to_zero(addon: ModuleType) -> None:
    head = make_head(addon)
    controls = blender_module(addon).props.face_controls(head)
    for i, control in enumerate(controls):
        head[control] = (i % 5) / 5
    assert bpy.ops.facs.reset_controls() == {"FINISHED"}
    assert [head[c] for c in controls] == [0.0] * len(controls)


@pytest.mark.parametrize("op", ["reset_controls", "key_controls"])
def test_refused_without_controls(addon: ModuleType, op: str) -> None:
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match="no AU controls"):  # nothing selected
        getattr(bpy.ops.facs, op)()
    assert snapshot(addon) == before
    _cube()  # a mesh without shape keys and without a rig
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match="build a FACS rig first"):
        getattr(bpy.ops.facs, op)()
    assert snapshot(addon) == before


def test_key_all_keys_every_control_as_facs_rig_animation(addon: ModuleType, tmp_path: Path) -> None:
    head = make_head(addon)
    blender = blender_module(addon)
    controls = blender.props.face_controls(head)
    head[controls[0]], head[controls[-1]] = 0.4, 0.9
    bpy.context.scene.frame_set(7)
    assert bpy.ops.facs.key_controls() == {"FINISHED"}
    for control in controls:
        fc = _curve(addon, head, control)
        assert fc is not None and fc.group.name == blender.keyframer.GROUP
        assert [tuple(k.co) for k in fc.keyframe_points] == [(7.0, pytest.approx(head[control]))]
    assert blender.keyframer.has_animation(head)
    # facs_rig's own: export writes it and Clear takes it away again
    out = tmp_path / "keyed.json"
    assert bpy.ops.facs.export_timeline(filepath=str(out)) == {"FINISHED"}
    assert out.is_file()
    assert bpy.ops.facs.clear_animation() == {"FINISHED"}
    assert all(_curve(addon, head, c) is None for c in controls)


def test_key_all_at_a_given_frame_on_the_pinned_face(addon: ModuleType) -> None:
    head = make_head(addon)
    bpy.context.scene.facs_rig.target = head
    other = _cube("Other")
    assert bpy.context.active_object == other
    assert bpy.ops.facs.key_controls(frame=12) == {"FINISHED"}
    control = blender_module(addon).props.face_controls(head)[0]
    assert [k.co[0] for k in _curve(addon, head, control).keyframe_points] == [12.0]
    assert other.animation_data is None
