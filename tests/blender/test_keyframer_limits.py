# SPDX-License-Identifier: GPL-3.0-or-later
"""Numbers that reach Blender: a timeline past Blender's last frame at the scene's rate, an apex at
frame 2³¹ − 1, an endless hold. Each is refused before anything is sampled per frame (memory stays
bounded) and leaves the scene as it was; rates Blender can hold are set exactly."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import bpy
import pytest

from tests.blender.test_panel_support import blender_module, plain_mesh, snapshot

BOUND = 64 * 1024 * 1024
"""Peak Python/numpy allocation allowed while refusing (a per-frame plan of 2³¹ frames is 16 GiB)."""


def _face() -> bpy.types.Object:
    obj = plain_mesh("Face")
    for control in ("AU12_L", "AU12_R", "AU26"):
        obj[control] = 0.0
    return obj


def _peak(call: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _timeline(addon: ModuleType, offset: float, fps: float | None = None) -> Any:
    model = addon.core.model
    return model.Timeline(events=[model.Event(26, 0.5, 0.0, 1.0, 1.0, offset)], fps=fps, name="far")


def test_apply_refuses_frames_past_blenders_range_before_sampling(addon: ModuleType) -> None:
    face = _face()
    keyframer = blender_module(addon).keyframer
    bpy.context.scene.render.fps = 60
    before = snapshot(addon)

    def apply() -> None:
        with pytest.raises(keyframer.KeyframerError, match="past Blender's last frame 1048574"):
            keyframer.apply_timeline(face, _timeline(addon, float(2**31)))

    assert _peak(apply) < BOUND
    assert snapshot(addon) == before


def test_a_file_valid_at_its_own_rate_is_refused_at_a_faster_scene_rate(addon: ModuleType,
                                                                        tmp_path: Path) -> None:
    """``validate`` checks at the file's rate (30 without one); the scene may play faster."""
    _face()
    path = tmp_path / "long.json"
    path.write_text(json.dumps({"format": "facs-timeline", "version": 1, "events": [
        {"au": 26, "intensity": "C", "onset": 0, "apex": 1, "offset": 30000}]}))
    assert addon.core.timeline.load(path).events[0].offset == 30000  # valid: frame 900001 at 30 fps
    bpy.context.scene.render.fps = 60
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match=r"frame 1800001 at 60 fps .*past Blender's last frame"):
        bpy.ops.facs.apply_timeline(filepath=str(path), mode="LIVE")
    assert snapshot(addon) == before


@pytest.mark.parametrize(("fps", "rate"), [(0.5, (1, 2.0)), (30000 / 1001, (30, 1.001)),
                                           (40000.0, (32767, 0.819175))])
def test_timeline_rates_are_set_as_blender_holds_them(addon: ModuleType, fps: float,
                                                      rate: tuple[int, float]) -> None:
    face = _face()
    scene = bpy.context.scene
    keyframer = blender_module(addon).keyframer
    result = keyframer.apply_timeline(face, _timeline(addon, 4.0, fps), set_scene_range=True)
    assert (scene.render.fps, scene.render.fps_base) == (rate[0], pytest.approx(rate[1], rel=1e-6))
    assert scene.render.fps / scene.render.fps_base == pytest.approx(fps, rel=1e-6)
    assert result.frame_end == scene.frame_end == pytest.approx(scene.frame_start + 4.0 * fps, abs=1)


@pytest.mark.parametrize("settings", [
    {"frame": 2**31 - 1},
    {"frame": 2**31 - 1, "onset": 0.1, "hold": 0.0, "offset": 0.1},
    {"frame": 10, "hold": 1e30},
    {"frame": -(2**31), "onset": 0.1},
])
def test_insert_event_refuses_frames_past_blenders_range(addon: ModuleType,
                                                         settings: dict[str, float]) -> None:
    face = _face()
    bpy.context.scene.render.fps = 24
    assert bpy.ops.facs.insert_event(code="26B", frame=20) == {"FINISHED"}  # some animation to read back
    before = snapshot(addon)

    def insert() -> None:
        with pytest.raises(RuntimeError, match=r"Blender's (last|first) frame"):
            bpy.ops.facs.insert_event(code="26B", **settings)

    assert _peak(insert) < BOUND
    assert snapshot(addon) == before
    assert face["AU26"] == 0.0
