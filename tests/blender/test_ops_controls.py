# SPDX-License-Identifier: GPL-3.0-or-later
"""Reset All and Key All on the face's AU controls, and how they refuse without a rig."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import bpy
import pytest

from tests.blender.test_panel_support import blender_module, make_head, plain_mesh, snapshot


def _curve(addon: ModuleType, obj: bpy.types.Object, control: str) -> bpy.types.FCurve | None:
    bag = blender_module(addon).anim_compat.container(obj)
    return bag.fcurves.find(f'["{control}"]') if bag is not None else None


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
    plain_mesh()  # a mesh without shape keys and without a rig
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


def test_a_keyed_pose_exports_as_a_pose_held_through_the_scene(addon: ModuleType, tmp_path: Path) -> None:
    """Key All → export → load → apply plays the pose the keys held, not a one-frame blip."""
    head = make_head(addon)
    controls = blender_module(addon).props.face_controls(head)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 48
    head[controls[0]], head[controls[-1]] = 0.4, 0.9
    assert bpy.ops.facs.key_controls(frame=20) == {"FINISHED"}
    frames = range(scene.frame_start, scene.frame_end + 1)
    keyed = {c: [_curve(addon, head, c).evaluate(f) for f in frames] for c in controls}
    out = tmp_path / "pose.json"
    assert bpy.ops.facs.export_timeline(filepath=str(out)) == {"FINISHED"}
    timeline = addon.core.timeline.load(out)  # the loader accepts what export wrote
    assert {t.au for t in timeline.tracks} == {addon.core.model.parse_control_name(c)[0]
                                               for c in (controls[0], controls[-1])}
    assert bpy.ops.facs.clear_animation() == {"FINISHED"}
    assert bpy.ops.facs.apply_timeline(filepath=str(out), set_scene_range=False) == {"FINISHED"}
    for control in (controls[0], controls[-1]):
        again = [_curve(addon, head, control).evaluate(f) for f in frames]
        assert again == pytest.approx(keyed[control], abs=1e-4)
        assert min(again) > 0.3


def test_key_all_at_a_given_frame_on_the_pinned_face(addon: ModuleType) -> None:
    head = make_head(addon)
    bpy.context.scene.facs_rig.target = head
    other = plain_mesh("Other")
    assert bpy.context.active_object == other
    assert bpy.ops.facs.key_controls(frame=12) == {"FINISHED"}
    control = blender_module(addon).props.face_controls(head)[0]
    assert [k.co[0] for k in _curve(addon, head, control).keyframe_points] == [12.0]
    assert other.animation_data is None
