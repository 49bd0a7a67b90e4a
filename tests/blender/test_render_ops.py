# SPDX-License-Identifier: GPL-3.0-or-later
"""The panel's render operators: they write what they say, change nothing in the file (so they
are not undo steps), refuse to run without a camera or a rigged face, and report bad paths."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from types import ModuleType

import bpy
import pytest

from tests.blender.test_export_timeline_ops import UNSAVED


def _state(scene: bpy.types.Scene, face: bpy.types.Object) -> tuple:
    render = scene.render
    return (render.filepath, render.engine, render.resolution_x, render.image_settings.file_format,
            scene.frame_start, scene.frame_end, scene.frame_current, face["AU12_L"],
            face.animation_data.action.name)


def test_operators_are_registered_and_not_undo_steps(addon: ModuleType) -> None:
    classes = addon.blender.ops_render.CLASSES
    assert [cls.bl_idname for cls in classes] == [
        "facs.render_still", "facs.render_animation", "facs.render_atlas"]
    for cls in classes:
        assert cls in addon.blender.CLASSES and cls.is_registered
        assert "UNDO" not in cls.bl_options and "REGISTER" in cls.bl_options
    paths = [getattr(bpy.ops.facs, cls.bl_idname.split(".")[1]).get_rna_type().properties["filepath"]
             for cls in classes]
    assert [p.default for p in paths] == ["//facs_still.png", "//facs_animation.mp4", "//facs_atlas.png"]
    assert {(p.name, p.subtype) for p in paths} == {("Output", "FILE_PATH")}
    assert not bpy.ops.facs.render_still.poll()  # an empty file has no camera
    assert not bpy.ops.facs.render_atlas.poll()


def test_render_buttons_write_files_and_change_nothing(smiling_head: bpy.types.Object, tmp_path: Path
                                                       ) -> None:
    face = smiling_head
    scene = bpy.context.scene
    scene.frame_set(3)
    before = _state(scene, face)

    assert bpy.ops.facs.render_still(filepath=str(tmp_path / "still.png")) == {"FINISHED"}
    assert (tmp_path / "still.png").is_file()
    assert bpy.ops.facs.render_animation(filepath=str(tmp_path / "anim.mp4")) == {"FINISHED"}
    assert (tmp_path / "anim.mp4").stat().st_size > 0
    with (tmp_path / "anim_labels.csv").open() as fh:
        assert [int(r["frame"]) for r in csv.DictReader(fh)] == [1, 2, 3, 4]
    assert bpy.ops.facs.render_animation(filepath=str(tmp_path / "frames"), labels=False) == {"FINISHED"}
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == 4
    atlas = bpy.ops.facs.render_atlas(filepath=str(tmp_path / "atlas.png"), levels="C", tile=48)
    assert atlas == {"FINISHED"}
    assert (tmp_path / "atlas.png").is_file()

    assert _state(scene, face) == before
    assert [p.name for p in tmp_path.glob("*_labels.csv")] == ["anim_labels.csv"]  # only the one asked for


@pytest.mark.usefixtures("smiling_head")
def test_bad_paths_are_reported(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=re.escape(UNSAVED.format("//still.png"))):  # as Export, Save Take
        bpy.ops.facs.render_still(filepath="//still.png")
    with pytest.raises(RuntimeError, match=r"a still is written as a \.png file"):
        bpy.ops.facs.render_still(filepath=str(tmp_path / "still.mp4"))
    with pytest.raises(RuntimeError, match=r"an animation is written as an \.mp4 file or a folder"):
        bpy.ops.facs.render_animation(filepath=str(tmp_path / "anim.png"))
    with pytest.raises(RuntimeError, match="intensity letters"):
        bpy.ops.facs.render_atlas(filepath=str(tmp_path / "atlas.png"), levels="Q")
    assert not list(tmp_path.iterdir())
