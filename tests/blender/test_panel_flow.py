# SPDX-License-Identifier: GPL-3.0-or-later
"""A session driven only through the panel: draw it, press the buttons it shows (with the
properties and context it gives them), draw again, as a user would from an empty scene."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import bpy
import pytest

from tests.blender.test_panel_support import blender_module, click, context_for, draw_all, plain_mesh

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "presets" / "timelines" / "demo.json"


def _panel(addon: ModuleType, section: str) -> object:
    return draw_all(addon, context_for(bpy.context.active_object))[section]


def test_from_empty_scene_to_exported_animation(addon: ModuleType, tmp_path: Path) -> None:
    blender = blender_module(addon)
    state = bpy.context.scene.facs_rig

    assert click(_panel(addon, "FACS_PT_avatar").operator("facs.add_default_head")) == {"FINISHED"}
    head = bpy.context.active_object
    assert head.type == "MESH" and not blender.rig.is_rigged(head)

    avatar = _panel(addon, "FACS_PT_avatar")
    assert click(avatar.operator("facs.build_rig", "Build Rig")) == {"FINISHED"}
    assert blender.rig.rig_info(head).preset == blender.panel_avatar.detected_preset(head, bpy.context)
    assert _panel(addon, "FACS_PT_avatar").operator("facs.build_rig").text == "Rebuild Rig"

    controls = _panel(addon, "FACS_PT_controls")
    drawn = [path for path in controls.paths(head) if path.startswith('["AU')]
    assert len(drawn) == len(blender.props.face_controls(head))
    head.path_resolve(drawn[0])  # the slider's path is the control
    state.expression, state.intensity = "surprise", "E"
    assert click(_panel(addon, "FACS_PT_expressions").operator("facs.apply_expression")) == {"FINISHED"}
    assert head["AU26"] == pytest.approx(1.0)
    assert head["AU05_L"] == pytest.approx(0.25)  # 5B keeps its own letter
    assert click(_panel(addon, "FACS_PT_controls").operator("facs.key_controls")) == {"FINISHED"}
    assert click(_panel(addon, "FACS_PT_controls").operator("facs.reset_controls")) == {"FINISHED"}
    assert head["AU26"] == 0.0

    state.code = "R12C+R14B"
    bpy.context.scene.frame_set(40)
    events = [op for op in _panel(addon, "FACS_PT_expressions").operators if op.idname == "facs.insert_event"]
    assert [op.properties.get("code") for op in events] == [None, "R12C+R14B"]
    assert click(events[1]) == {"FINISHED"}
    bag = blender.anim_compat.container(head)
    assert bag.fcurves.find('["AU12_R"]').evaluate(40) == pytest.approx(0.55, abs=1e-4)
    assert bag.fcurves.find('["AU26"]').evaluate(40) == pytest.approx(1.0)  # the pose Key All keyed holds

    state.timeline_path = str(DEMO)
    timeline = _panel(addon, "FACS_PT_timeline")
    reload = next(op for op in timeline.operators if op.properties.get("filepath") == str(DEMO))
    assert click(reload) == {"FINISHED"}
    assert state.timeline_ok
    assert click(_panel(addon, "FACS_PT_timeline").operator("facs.apply_timeline")) == {"FINISHED"}
    out = tmp_path / "out.json"
    assert click(_panel(addon, "FACS_PT_timeline").operator("facs.export_timeline"), filepath=str(out)) == {
        "FINISHED"}
    exported = addon.core.timeline.load(out)
    assert len(exported.events) >= len(addon.core.timeline.load(DEMO).events) // 2
    assert click(_panel(addon, "FACS_PT_timeline").operator("facs.clear_animation")) == {"FINISHED"}
    assert not blender.keyframer.has_animation(head)

    assert click(_panel(addon, "FACS_PT_avatar").operator("facs.remove_rig")) == {"FINISHED"}
    assert not blender.props.face_controls(head)
    assert "Build a FACS rig to get AU controls" in _panel(addon, "FACS_PT_controls").labels


def test_pinned_face_is_what_the_buttons_change(addon: ModuleType) -> None:
    """Pin the head, make a cube active: the panel's buttons still build and remove the head's rig."""
    blender = blender_module(addon)
    head = blender.avatar.create_default_avatar(studio=False).mesh
    cube = plain_mesh()
    bpy.context.scene.facs_rig.target = head
    assert click(_panel(addon, "FACS_PT_avatar").operator("facs.build_rig")) == {"FINISHED"}
    assert blender.rig.is_rigged(head) and not blender.rig.is_rigged(cube)
    bpy.context.scene.facs_rig.code = "26C"
    codes = [op for op in _panel(addon, "FACS_PT_expressions").operators if op.properties.get("code")]
    assert click(codes[0]) == {"FINISHED"}
    assert head["AU26"] == pytest.approx(0.55)
    assert click(_panel(addon, "FACS_PT_avatar").operator("facs.remove_rig")) == {"FINISHED"}
    assert not blender.rig.is_rigged(head)
    assert bpy.context.active_object == cube


def test_scene_state_comes_and_goes_with_the_addon(addon: ModuleType) -> None:
    import addon_utils  # on sys.path only once bpy is imported

    key = addon.__name__.removesuffix(".facs_rig")

    def fail(exc: BaseException) -> None:
        raise exc

    bpy.context.scene.facs_rig.code = "12C"
    try:
        addon_utils.disable(key, default_set=True, handle_error=fail)
        assert "facs_rig" not in bpy.types.Scene.bl_rna.properties
        assert not hasattr(bpy.context.scene, "facs_rig")
        gone = ("FACS_PG_settings", "FACS_PT_main", "FACS_MT_presets")
        assert not any(hasattr(bpy.types, name) for name in gone)
    finally:
        addon_utils.enable(key, default_set=True, handle_error=fail)
    assert bpy.context.scene.facs_rig.code == "12C"  # the saved state is read again
