# SPDX-License-Identifier: GPL-3.0-or-later
"""Read Video or Images: a video of the default head smiling, made by ``facs_rig render``, read in
slices (the operator's modal steps, driven directly: headless Blender has no event loop) becomes
AU12 keys on the face; a cancelled read, a file that is not a video and a video without a face
change nothing and say why; a folder of images is spaced by the chosen rate."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from types import ModuleType

import bpy
import numpy as np
import pytest
import skimage.io

from tests.blender.test_export_timeline_ops import UNSAVED
from tests.blender.test_panel_support import blender_module, make_head, snapshot
from tests.reader.support import render, write_video

SMILE_TAKE = {"format": "facs-timeline", "version": 1, "name": "smile", "fps": 15,
              "events": [{"au": 12, "intensity": "E", "onset": 0.4, "apex": 1.0, "apex_end": 1.6,
                          "offset": 2.2}]}
"""2.2 s at 15 fps: neutral, a full smile and back (more than 30 frames: the landmark AUs are measured)."""


@pytest.fixture(scope="module")
def smile_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("read_media")
    timeline = folder / "smile.json"
    timeline.write_text(json.dumps(SMILE_TAKE))
    return render(timeline, folder / "smile.mp4")


def _ops(addon: ModuleType) -> ModuleType:
    return blender_module(addon).ops_read_media


def _au12(addon: ModuleType, head: bpy.types.Object) -> np.ndarray:
    bag = blender_module(addon).anim_compat.container(head)
    scene = bpy.context.scene
    frames = range(scene.frame_start, scene.frame_end + 1)
    curves = [bag.fcurves.find(f'["AU12_{side}"]') for side in "LR"]
    assert all(curves), "AU12 is keyed on both sides"
    return np.array([[fc.evaluate(f) for f in frames] for fc in curves])


def test_video_read_in_slices_keys_a_smile(addon: ModuleType, smile_video: Path) -> None:
    head = make_head(addon)
    ops = _ops(addon)
    read = ops.MediaImport(smile_video)
    slices = 1
    while read.step(0.01):
        slices += 1
        assert 0.0 < read.fraction <= 1.0 and "Esc to cancel" in ops.STATUS.text
    assert slices > 3  # read a few frames per tick, not all at once
    imported, result = read.apply(bpy.context, head, lambda f: None)
    assert result.keys > 0 and imported.report.fps == pytest.approx(15, abs=0.5)
    au12 = _au12(addon, head)
    assert au12.max() > 0.5 and au12[:, 0].max() < 0.2  # smiles, after a neutral start
    assert [t.name for t in threading.enumerate() if t.name == "facs_rig-decode"] == []


def test_operator_reads_to_the_end_without_a_window(addon: ModuleType, smile_video: Path) -> None:
    """Scripts in background Blender: the operator reads at once and reports like the CSV import."""
    head = make_head(addon)
    assert bpy.ops.facs.read_media(filepath=str(smile_video)) == {"FINISHED"}
    assert _au12(addon, head).max() > 0.5
    assert bpy.context.scene.facs_rig.import_summary.startswith("smile.mp4")
    assert bpy.context.scene.render.fps == 15


def test_cancel_mid_way_changes_nothing(addon: ModuleType, smile_video: Path) -> None:
    make_head(addon)
    ops = _ops(addon)
    before = snapshot(addon)
    read = ops.MediaImport(smile_video)
    assert read.step(0.01)
    read.cancel()
    assert snapshot(addon) == before
    assert "cancelled after" in ops.STATUS.text and not ops.STATUS.error
    assert [t.name for t in threading.enumerate() if t.name == "facs_rig-decode"] == []


def test_not_a_video_is_refused_by_name(addon: ModuleType, tmp_path: Path) -> None:
    make_head(addon)
    bad = tmp_path / "holiday.mp4"
    bad.write_text("not a video at all\n")
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match=r"holiday\.mp4: not a video or an image"):
        bpy.ops.facs.read_media(filepath=str(bad))
    assert snapshot(addon) == before
    ops = _ops(addon)
    assert ops.STATUS.error and "holiday.mp4" in ops.STATUS.text


def test_video_without_a_face_changes_nothing(addon: ModuleType, tmp_path: Path) -> None:
    make_head(addon)
    grey = [np.full((64, 64, 3), 128, np.uint8)] * 12
    video = write_video(tmp_path / "wall.mp4", grey, [i * 40 for i in range(12)])
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match=r"wall\.mp4: no face found"):
        bpy.ops.facs.read_media(filepath=str(video))
    assert snapshot(addon) == before
    assert _ops(addon).STATUS.error


def test_a_blend_relative_path_needs_a_saved_file(addon: ModuleType, smile_video: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsaved, ``//smile.mp4`` would be the working directory's (here the video itself): refused
    before it is opened; once the .blend is saved beside a copy, the same path reads it."""
    head = make_head(addon)
    monkeypatch.chdir(smile_video.parent)
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match=re.escape(UNSAVED.format("//smile.mp4"))):
        bpy.ops.facs.read_media(filepath="//smile.mp4")
    assert snapshot(addon) == before
    assert _ops(addon).STATUS.error and "//smile.mp4" in _ops(addon).STATUS.text

    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(smile_video, saved / "smile.mp4")
    bpy.ops.wm.save_as_mainfile(filepath=str(saved / "scene.blend"))
    assert bpy.ops.facs.read_media(filepath="//smile.mp4") == {"FINISHED"}
    assert _au12(addon, head).max() > 0.5


def test_panel_offers_the_reader_here(addon: ModuleType) -> None:
    """This environment has the reader's packages and model: nothing is missing."""
    assert _ops(addon).reader_problem() is None


def test_folder_of_images_is_spaced_by_the_frame_rate(addon: ModuleType, smile_video: Path,
                                                       tmp_path: Path) -> None:
    head = make_head(addon)
    frames = list(addon.reader.open_media(smile_video).frames())
    folder = tmp_path / "shots"
    folder.mkdir()
    for i, frame in enumerate(frames[::4]):  # neutral, smiling, neutral again
        skimage.io.imsave(folder / f"shot{i}.png", frame.rgb)
    assert bpy.ops.facs.read_media(filepath=str(folder), fps=5.0) == {"FINISHED"}
    assert bpy.context.scene.render.fps == 5
    assert _au12(addon, head).max() > 0.5
