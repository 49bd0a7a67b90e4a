# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig animate``: a .blend that plays the timeline, clear errors for bad input."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import bpy
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TIMELINE = {
    "format": "facs-timeline", "version": 1, "name": "cli", "fps": 25, "time_unit": "frames",
    "events": [{"code": "6B+12C", "onset": 5, "apex": 15, "apex_end": 30, "offset": 45},
               {"au": 26, "intensity": "C", "onset": 40, "apex": 52.5, "offset": 70, "ease": "linear"}],
}


def _animate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facs_rig", "animate", *args], cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=300)


def _shape_values(frame: int) -> np.ndarray:
    bpy.context.scene.frame_set(frame)
    return np.array([kb.value for kb in bpy.data.objects["FACS_Head"].data.shape_keys.key_blocks[1:]])


def test_animate_writes_a_blend_that_plays_the_timeline(addon: ModuleType, tmp_path: Path) -> None:
    timeline = tmp_path / "cli.json"
    timeline.write_text(json.dumps(TIMELINE))
    for bake in (False, True):
        out = tmp_path / f"out_{bake}.blend"
        proc = _animate("--timeline", str(timeline), "-o", str(out), *(["--bake"] if bake else []))
        assert proc.returncode == 0, proc.stderr
        assert out.is_file() and f"wrote {out}" in proc.stdout
        bpy.ops.wm.open_mainfile(filepath=str(out))
        scene = bpy.context.scene
        mesh = bpy.data.objects["FACS_Head"]
        assert (scene.render.fps, scene.frame_start, scene.frame_end) == (25, 1, 71)
        assert mesh.animation_data.action.name == "FACS cli"
        ref = addon.core.evaluate.evaluate(addon.core.timeline.from_dict(TIMELINE),
                                           [(f - 1) / 25 for f in (10, 30, 60)], resolve=False)
        for i, frame in enumerate((10, 30, 60)):
            scene.frame_set(frame)
            assert abs(mesh["AU12_L"] - ref.get("AU12_L")[i]) < 1e-4
            assert abs(mesh["AU26"] - ref.get("AU26")[i]) < 1e-4
        drivers = mesh.data.shape_keys.animation_data.drivers
        assert any(d.mute for d in drivers) == bake
        assert np.abs(_shape_values(1)).max() < 1e-6 < np.abs(_shape_values(60)).max()  # the face moves


def test_animate_a_blend_avatar_file(addon: ModuleType, tmp_path: Path) -> None:
    avatar = importlib.import_module(f"{addon.__name__}.blender.avatar").create_default_avatar(studio=False)
    avatar.mesh.name = "MyHead"
    source = tmp_path / "avatar.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(source))
    timeline = tmp_path / "cli.json"
    timeline.write_text(json.dumps(TIMELINE))
    out = tmp_path / "out.blend"
    proc = _animate("--avatar", str(source), "--object", "MyHead", "--preset", "makehuman",
                    "--timeline", str(timeline), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    bpy.ops.wm.open_mainfile(filepath=str(out))
    mesh = bpy.data.objects["MyHead"]
    values = []
    for frame in (1, 20, 60):
        bpy.context.scene.frame_set(frame)
        values.append(mesh["AU12_R"])
    assert values[0] == 0.0 and values[1] > 0.3 and values[2] == 0.0


def test_animate_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**TIMELINE, "events": [{"au": 12, "intensity": 2, "onset": 1, "apex": 2,
                                                        "offset": 3}]}))
    out = tmp_path / "never.blend"
    proc = _animate("--timeline", str(bad), "-o", str(out))
    assert proc.returncode == 2
    assert "bad.json" in proc.stderr and "events[0].intensity" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    proc = _animate("--avatar", str(tmp_path / "missing.blend"), "--timeline", str(bad), "-o", str(out))
    assert proc.returncode == 2 and not out.exists()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(TIMELINE))
    proc = _animate("--avatar", str(tmp_path / "missing.blend"), "--timeline", str(good), "-o", str(out))
    assert proc.returncode == 2 and "missing.blend: no such avatar file" in proc.stderr
    assert not out.exists()
