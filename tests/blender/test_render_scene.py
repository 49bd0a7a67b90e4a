# SPDX-License-Identifier: GPL-3.0-or-later
"""Rendering a rigged, animated head in real Blender (Workbench and Cycles): frame counts, pixels
that change where the timeline moves the face and nowhere else, labels equal to the animation,
the scene left as it was, and bad output paths refused before anything happens."""

from __future__ import annotations

import csv
import importlib
import struct
from pathlib import Path
from types import ModuleType
from typing import Any

import bpy
import numpy as np
import pytest

SMILE: dict[str, Any] = {
    "format": "facs-timeline", "version": 1, "name": "smile", "fps": 10,
    "events": [{"au": 12, "intensity": "E", "onset": 0.0, "apex": 0.3, "apex_end": 0.4, "offset": 0.6}],
}
APEX = 4  # frame 1 is t = 0 at 10 fps: the apex (0.3 s) is frame 4, the offset (0.6 s) frame 7


def _module(addon: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{addon.__name__}.{name}")


def _smiling_head(addon: ModuleType, doc: dict[str, Any] = SMILE) -> tuple[bpy.types.Scene, bpy.types.Object]:
    avatar = _module(addon, "blender.avatar").create_default_avatar()
    addon.blender.rig.build_rig(avatar.mesh)
    scene = bpy.context.scene
    timeline = addon.core.timeline.from_dict(doc)
    keyframer = _module(addon, "blender.keyframer")
    keyframer.apply_timeline(avatar.mesh, timeline, scene=scene, set_scene_range=True)
    return scene, avatar.mesh


def _read(addon: ModuleType, path: Path) -> np.ndarray:
    return _module(addon, "blender.render_images").read_png(path)[..., :3]


def _moved_box(scene: bpy.types.Scene, obj: bpy.types.Object, frames: tuple[int, int],
               size: tuple[int, int], margin: int) -> tuple[int, int, int, int]:
    """Pixel box (x0, x1, y0, y1 from the top left) around the vertices that move between two
    frames, projected through the scene camera: where the render may change."""
    coords = []
    for frame in frames:
        scene.frame_set(frame)
        mesh = obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).data
        co = np.empty(len(mesh.vertices) * 3)
        mesh.vertices.foreach_get("co", co)
        coords.append(co.reshape(-1, 3))
    moved = np.linalg.norm(coords[1] - coords[0], axis=1) > 1e-5
    assert moved.any(), "the timeline moves no vertex"
    points = np.c_[coords[1][moved], np.ones(int(moved.sum()))]
    cam = scene.camera
    projection = np.array(cam.calc_matrix_camera(bpy.context.evaluated_depsgraph_get(), x=size[0], y=size[1]))
    clip = points @ (projection @ np.array(cam.matrix_world.inverted()) @ np.array(obj.matrix_world)).T
    ndc = clip[:, :2] / clip[:, 3:4]
    px = (ndc[:, 0] + 1) / 2 * size[0]
    py = (1 - (ndc[:, 1] + 1) / 2) * size[1]
    return (max(0, int(px.min()) - margin), min(size[0], int(np.ceil(px.max())) + margin),
            max(0, int(py.min()) - margin), min(size[1], int(np.ceil(py.max())) + margin))


def _inside_outside(diff: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    x0, x1, y0, y1 = box
    mask = np.zeros(diff.shape, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return diff[mask], diff[~mask]


@pytest.mark.parametrize(("engine", "size", "samples"), [("workbench", 64, None), ("cycles", 40, 2)])
def test_frames_change_where_the_face_moves(addon: ModuleType, tmp_path: Path, engine: str, size: int,
                                            samples: int | None) -> None:
    scene, head = _smiling_head(addon)
    assert (scene.frame_start, scene.frame_end) == (1, 7)
    result = addon.blender.render.render_scene(scene, tmp_path / "frames", engine=engine,
                                               resolution=(size, size), samples=samples, frames=(1, APEX))
    files = sorted((tmp_path / "frames").glob("*.png"))
    assert files == result.files and len(files) == APEX
    neutral, apex = _read(addon, files[0]), _read(addon, files[-1])
    assert neutral.shape == (size, size, 3)
    diff = np.abs(apex - neutral).max(axis=2)
    box = _moved_box(scene, head, (1, APEX), (size, size), margin=2)
    assert (box[1] - box[0]) * (box[3] - box[2]) < 0.6 * size * size  # a region, not the whole frame
    inside, outside = _inside_outside(diff, box)
    assert inside.max() > 0.08, "the smile does not show"
    if engine == "workbench":  # deterministic: not one pixel away from the mouth changes
        assert outside.max() < 2.5 / 255
    else:  # two-sample path tracing: the same noise on both frames, bounce light moves a little
        assert outside.mean() < inside.mean() / 5


def test_still_frames_are_identical_and_labels_equal_the_animation(addon: ModuleType, tmp_path: Path) -> None:
    # The smile starts at 0.3 s; a zero-intensity AU 1 at 0 s keeps the scene starting at t = 0.
    doc = {**SMILE, "events": [{**SMILE["events"][0], "onset": 0.3, "apex": 0.6, "apex_end": 0.7,
                                "offset": 0.9}, {"au": 1, "intensity": 0.0, "onset": 0.0, "apex": 0.0,
                                                  "offset": 0.05}]}
    scene, _head = _smiling_head(addon, doc)
    labels_path = tmp_path / "labels.csv"
    result = addon.blender.render.render_scene(scene, tmp_path / "seq", engine="workbench",
                                               resolution=(32, 32), frames=(1, 7), labels=labels_path)
    first, second, moving = (_read(addon, result.files[i]) for i in (0, 1, 6))
    assert np.array_equal(first, second)  # the smile starts at frame 4: nothing moves before
    assert not np.array_equal(first, moving)

    with labels_path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["frame"]) for r in rows] == list(range(1, 8))
    header = list(rows[0])
    assert header[:6] == ["frame", "face_id", "timestamp", "confidence", "success", "AU01_r"]
    assert header.index("AU45_r") < header.index("AU08_r")  # OpenFace's 17 first, then the rig's others
    assert "AU12_L_r" in header and "AU12_R_r" in header
    frames = np.arange(1, 8)
    times = (frames - scene.frame_start) / 10.0
    assert np.allclose([float(r["timestamp"]) for r in rows], times, atol=1e-4)
    reference = addon.core.evaluate.evaluate(addon.core.timeline.from_dict(doc), times, resolve=False)
    expected = 5 * reference.get("AU12_L")
    assert expected.max() == pytest.approx(5.0)
    for column in ("AU12_r", "AU12_L_r", "AU12_R_r"):
        assert np.allclose([float(r[column]) for r in rows], expected, atol=2e-3), column
    assert all(float(r["AU06_r"]) == 0.0 for r in rows)


def _mp4_frame_count(path: Path) -> int:
    """Sample count of the video track, read from the MP4's ``stsz`` box (no FFmpeg needed)."""
    data = path.read_bytes()
    at = data.index(b"stsz")
    _version_flags, _size, count = struct.unpack(">III", data[at + 4:at + 16])
    return count


def test_video_and_still(addon: ModuleType, tmp_path: Path) -> None:
    scene, _head = _smiling_head(addon)
    video = addon.blender.render.render_scene(scene, tmp_path / "smile.mp4", engine="workbench",
                                              resolution=(48, 32))
    assert video.files == [tmp_path / "smile.mp4"] and video.frames == list(range(1, 8))
    assert _mp4_frame_count(tmp_path / "smile.mp4") == 7
    scene.frame_set(APEX)
    still = addon.blender.render.render_scene(scene, tmp_path / "apex.png", engine="workbench",
                                              resolution=(48, 32))
    assert still.frames == [APEX] and _read(addon, tmp_path / "apex.png").shape == (32, 48, 3)
    job = _module(addon, "render.job").RenderJob(output=str(tmp_path / "peak.png"), timeline=None)
    assert job.kind == "still"
    peak = _module(addon, "blender.render_job").peak_frame(scene, _head)
    assert peak in (APEX, APEX + 1)  # the held apex: 0.3 s to 0.4 s


def test_render_leaves_the_scene_as_it_was(addon: ModuleType, tmp_path: Path) -> None:
    scene, _head = _smiling_head(addon)
    render = scene.render
    scene.frame_set(3)
    before = (render.engine, render.resolution_x, render.resolution_y, render.resolution_percentage,
              render.filepath, render.image_settings.file_format, scene.frame_start, scene.frame_end,
              scene.frame_current, render.use_border)
    addon.blender.render.render_scene(scene, tmp_path / "a.mp4", engine="cycles", samples=1,
                                      resolution=(16, 16), frames=(2, 3), labels=tmp_path / "a.csv")
    after = (render.engine, render.resolution_x, render.resolution_y, render.resolution_percentage,
             render.filepath, render.image_settings.file_format, scene.frame_start, scene.frame_end,
             scene.frame_current, render.use_border)
    assert after == before


def test_bad_outputs_are_refused_before_anything_changes(addon: ModuleType, tmp_path: Path) -> None:
    scene, _head = _smiling_head(addon)
    job_error = _module(addon, "render.job").JobError
    render_scene = addon.blender.render.render_scene
    before = (scene.render.filepath, scene.render.resolution_x, scene.render.engine)
    with pytest.raises(job_error, match=r"unknown output type '\.gif'"):
        render_scene(scene, tmp_path / "x.gif")
    with pytest.raises(job_error, match="even width and height, not 33x32"):
        render_scene(scene, tmp_path / "out" / "odd.mp4", resolution=(33, 32), engine="workbench",
                     labels=tmp_path / "odd.csv")
    assert not list(tmp_path.iterdir())  # no folder, no video, no labels
    assert (scene.render.filepath, scene.render.resolution_x, scene.render.engine) == before
    scene.camera = None
    with pytest.raises(job_error, match="has no camera"):
        render_scene(scene, tmp_path / "y.png")


@pytest.mark.parametrize("engine", ["workbench", "eevee", "cycles"])
def test_engine_names_work_on_this_blender(addon: ModuleType, engine: str) -> None:
    settings = addon.blender.render_settings
    scene = bpy.context.scene
    settings.set_engine(scene, engine, samples=3)
    assert scene.render.engine == settings.engine_id(engine)
    assert settings.engine_name(scene.render.engine) == engine
    if engine == "workbench":
        assert scene.display.render_aa == "5"  # the smallest choice with at least 3 samples
    elif engine == "cycles":
        assert (scene.cycles.samples, scene.cycles.device) == (3, "CPU")
    else:
        assert scene.eevee.taa_render_samples == 3
    settings.apply_settings(scene, samples=11)  # samples alone go to the scene's own engine
    assert scene.render.engine == settings.engine_id(engine)
    samples = {"workbench": lambda: int(scene.display.render_aa), "cycles": lambda: scene.cycles.samples,
               "eevee": lambda: scene.eevee.taa_render_samples}
    assert samples[engine]() == 11
