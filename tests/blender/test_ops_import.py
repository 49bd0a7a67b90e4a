# SPDX-License-Identifier: GPL-3.0-or-later
"""Import Face Capture: a tracker file becomes facs_rig animation on the face and a report in the
panel; bad files change nothing."""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import ModuleType

import bpy
import numpy as np
import pytest

from tests.blender.test_export_timeline_ops import UNSAVED
from tests.blender.test_panel_support import (
    blender_module,
    make_head,
    plain_mesh,
    refused_unchanged,
    snapshot,
)

FPS = 25


def _openface(path: Path, frames: int = 30) -> Path:
    """A FeatureExtraction CSV: AU12 rises and falls, AU01 holds, one low-confidence frame."""
    head = "frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU01_c, AU12_c"
    rows = []
    for i in range(frames):
        au12 = 5 * math.sin(math.pi * i / (frames - 1))
        confidence = 0.3 if i == 10 else 0.98
        rows.append(f"{i + 1}, 0, {i / FPS:.3f}, {confidence}, 1, 2.0, {au12:.3f}, 1, {int(au12 > 1)}")
    path.write_text("\n".join([head, *rows]) + "\n")
    return path


def test_import_animates_the_face_and_reports(addon: ModuleType, tmp_path: Path) -> None:
    head = make_head(addon)
    path = _openface(tmp_path / "take.csv")
    assert bpy.ops.facs.import_capture(filepath=str(path)) == {"FINISHED"}
    imported = addon.io.read_any(path)
    scene = bpy.context.scene
    assert scene.render.fps == FPS
    fps = scene.render.fps / scene.render.fps_base
    frames = np.arange(scene.frame_start, scene.frame_end + 1, dtype=float)
    times = (frames - scene.frame_start) / fps
    curves = addon.core.evaluate.evaluate(imported.timeline, times, resolve=False)
    bag = blender_module(addon).anim_compat.container(head)
    for control in ("AU01_L", "AU12_R"):
        fc = bag.fcurves.find(f'["{control}"]')
        got = np.array([fc.evaluate(f) for f in frames])
        np.testing.assert_allclose(got, curves.get(control), atol=2e-3)
    state = bpy.context.scene.facs_rig
    assert state.import_summary.startswith("take.csv: OpenFace")
    texts = [line.text for line in state.import_report]
    assert texts[: len(imported.report.lines()) - 1] == [
        line.removeprefix("warning: ") for line in imported.report.lines()[1:]]
    assert len(set(texts)) == len(texts)  # the importer's warnings are not repeated by the apply step


def test_imported_capture_exports_a_timeline_that_loads(addon: ModuleType, tmp_path: Path) -> None:
    """Tracks start at time 0: the zero keys closing them before frame 1 are not exported."""
    head = make_head(addon)
    assert bpy.ops.facs.import_capture(filepath=str(_openface(tmp_path / "take.csv"))) == {"FINISHED"}
    scene = bpy.context.scene
    frames = np.arange(scene.frame_start, scene.frame_end + 1, dtype=float)
    bag = blender_module(addon).anim_compat.container(head)
    before = {fc.data_path: [fc.evaluate(f) for f in frames] for fc in bag.fcurves}
    out = tmp_path / "back.json"
    assert bpy.ops.facs.export_timeline(filepath=str(out)) == {"FINISHED"}
    timeline = addon.core.timeline.load(out)
    assert timeline.tracks and min(t.times[0] for t in timeline.tracks) == 0.0
    assert bpy.ops.facs.apply_timeline(filepath=str(out)) == {"FINISHED"}
    bag = blender_module(addon).anim_compat.container(head)
    for path, values in before.items():
        got = [bag.fcurves.find(path).evaluate(f) for f in frames]
        np.testing.assert_allclose(got, values, atol=1e-3)


def test_import_as_events_with_bake(addon: ModuleType, tmp_path: Path) -> None:
    head = make_head(addon)
    path = _openface(tmp_path / "take.csv")
    assert bpy.ops.facs.import_capture(filepath=str(path), events=True, mode="BAKE") == {"FINISHED"}
    timeline = blender_module(addon).keyframer.export_timeline(head)
    assert timeline.events and not timeline.tracks
    assert head.data.shape_keys.animation_data is not None


@pytest.mark.parametrize(("content", "kwargs", "message"), [
    (None, {}, "take.csv"),
    ("just some text\n1,2,3\n", {}, "take.csv"),
    ("frame, timestamp, confidence, success, AU12_r\n1, 0.0, 0.9, 1, abc\n", {"format": "openface"},
     "take.csv"),
    ("x", {"filepath": ""}, "No file to import given"),
])
def test_bad_files_change_nothing(addon: ModuleType, tmp_path: Path, content: str | None,
                                  kwargs: dict[str, str], message: str) -> None:
    make_head(addon)
    refused_unchanged(addon, bpy.ops.facs.import_capture, tmp_path / "take.csv", content, message, **kwargs)


def test_a_blend_relative_path_needs_a_saved_file(addon: ModuleType, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsaved, ``//`` would mean the working directory, which here holds another capture.csv:
    refused before anything is read; once the .blend is saved beside its capture, the same path
    reads that one (30 frames, not the working directory's 90)."""
    make_head(addon)
    monkeypatch.chdir(tmp_path)
    _openface(tmp_path / "capture.csv", frames=90)
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match=re.escape(UNSAVED.format("//capture.csv"))):
        bpy.ops.facs.import_capture(filepath="//capture.csv")
    assert snapshot(addon) == before

    saved = tmp_path / "saved"
    saved.mkdir()
    _openface(saved / "capture.csv")
    bpy.ops.wm.save_as_mainfile(filepath=str(saved / "scene.blend"))
    assert bpy.ops.facs.import_capture(filepath="//capture.csv") == {"FINISHED"}
    scene = bpy.context.scene
    assert scene.facs_rig.import_summary.startswith("capture.csv: OpenFace")
    assert scene.render.fps == FPS and scene.frame_end - scene.frame_start < 60


def test_refused_without_a_rig(addon: ModuleType, tmp_path: Path) -> None:
    plain_mesh()
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match="no AU controls"):
        bpy.ops.facs.import_capture(filepath=str(_openface(tmp_path / "take.csv")))
    assert snapshot(addon) == before
