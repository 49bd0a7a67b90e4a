# SPDX-License-Identifier: GPL-3.0-or-later
"""The render and batch commands as a user (or a farm worker) runs them: separate processes,
no add-on enabled. A .blend rigged by facs_rig renders the same there as in the Blender that
made it; a batch renders in parallel workers and documents every job in its manifest."""

from __future__ import annotations

import csv
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import bpy
import numpy as np
import pytest

from .heads import canonical_face_obj

ROOT = Path(__file__).resolve().parents[2]
BLINK = {"format": "facs-timeline", "version": 1, "name": "blink", "fps": 10,
         "events": [{"au": 45, "intensity": "E", "onset": 0.0, "apex": 0.2, "offset": 0.4},
                    {"au": 26, "intensity": "C", "onset": 0.0, "apex": 0.3, "offset": 0.4}]}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facs_rig", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)


def _read(addon: ModuleType, path: Path) -> np.ndarray:
    return importlib.import_module(f"{addon.__name__}.blender.render_images").read_png(path)[..., :3]


def test_render_command_writes_video_and_labels(tmp_path: Path) -> None:
    timeline = tmp_path / "blink.json"
    timeline.write_text(json.dumps(BLINK))
    out = tmp_path / "blink.mp4"
    run = _cli("render", "--timeline", str(timeline), "-o", str(out), "--resolution", "64x48",
               "--labels", str(tmp_path / "blink.csv"))
    assert run.returncode == 0, run.stderr
    assert f"wrote {out} (frames 1-5, workbench, 64x48" in run.stdout
    assert "render: 5/5 frames" in run.stderr and "frames/s" in run.stderr
    assert out.stat().st_size > 0
    with (tmp_path / "blink.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["AU45_r"]) for r in rows][2] == pytest.approx(5.0)  # apex at 0.2 s = frame 3
    assert float(rows[0]["AU45_r"]) == 0.0 and float(rows[-1]["AU45_r"]) == 0.0


def test_render_command_refuses_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**BLINK, "events": [{**BLINK["events"][0], "apex": 0.9}]}))
    run = _cli("render", "--timeline", str(bad), "-o", str(tmp_path / "x.mp4"))
    assert run.returncode == 2
    assert str(bad) in run.stderr and "events[0]" in run.stderr
    run = _cli("render", "--timeline", str(bad), "-o", str(tmp_path / "x.gif"))
    assert run.returncode == 2 and "unknown output type '.gif'" in run.stderr
    run = _cli("render", "--avatar", str(tmp_path / "none.blend"), "-o", str(tmp_path / "y.png"))
    assert run.returncode == 2 and "none.blend: no such avatar file" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_rigged_blend_renders_on_a_worker_without_the_addon(
    addon: ModuleType, animated_head: Callable[[dict[str, Any], int], bpy.types.Object], tmp_path: Path
) -> None:
    animated_head(BLINK, 48)
    scene = bpy.context.scene
    blend = tmp_path / "rigged.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    here = addon.blender.render.render_scene(scene, tmp_path / "here", frames=(1, 3))

    # The chunk command the Flamenco job type gives a worker, run as the worker would.
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "Node.js compiles the Flamenco job type"
    harness = (
        "const m = require(process.argv[1]);"
        "console.log(JSON.stringify(m.facsRigArgs(JSON.parse(process.argv[2]), 1, 3)));"
    )
    settings = {"avatar": str(blend), "timeline": "", "render_output": str(tmp_path / "farm"), "engine": "",
                "resolution": "", "samples": 0, "labels": True}
    script = str(ROOT / "presets/flamenco/facs_rig_render.js")
    argv = json.loads(subprocess.run([node, "-e", harness, script, json.dumps(settings)], capture_output=True,
                                     text=True, check=True).stdout)
    run = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr
    farm = sorted((tmp_path / "farm").glob("frame_*.png"))
    assert [p.name for p in farm] == [p.name for p in here.files]
    for ours, theirs in zip(here.files, farm, strict=True):
        assert np.abs(_read(addon, ours) - _read(addon, theirs)).max() < 2 / 255
    assert not np.array_equal(_read(addon, farm[0]), _read(addon, farm[2]))  # the blink plays
    with (tmp_path / "farm" / "labels" / "frames_1-3.csv").open() as fh:
        assert float(list(csv.DictReader(fh))[2]["AU45_r"]) == pytest.approx(5.0)


def test_batch_renders_in_parallel_and_writes_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "blink.json").write_text(json.dumps(BLINK))
    (tmp_path / "broken.blend").write_text("not a blend file")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "output_dir": "out", "format": "frames", "labels": True, "timelines": ["blink.json"],
        "avatars": ["default", {"name": "broken", "file": "broken.blend"}],
        "settings": [
            {"name": "wb", "resolution": "32x32", "frames": "2-3"},
            {"name": "cy", "engine": "cycles", "samples": 1, "resolution": "16x16", "frames": "3-3"},
        ],
    }))
    run = _cli("batch", str(spec), "-j", "2")
    assert run.returncode == 1  # the broken avatar fails, the others render
    with (tmp_path / "out" / "manifest.csv").open() as fh:
        rows = {row["output"]: row for row in csv.DictReader(fh)}
    assert len(rows) == 4
    good = rows[str(tmp_path / "out" / "blink_default_wb")]
    assert good["status"] == "ok" and good["frames"] == "2-3" and good["frame_count"] == "2"
    assert good["facs"] == "26C+45E" and good["engine"] == "workbench" and good["resolution"] == "32x32"
    assert sorted(p.name for p in Path(good["output"]).iterdir()) == ["frame_0002.png", "frame_0003.png"]
    cycles = rows[str(tmp_path / "out" / "blink_default_cy")]
    assert cycles["status"] == "ok" and cycles["engine"] == "cycles" and Path(cycles["labels"]).is_file()
    broken = rows[str(tmp_path / "out" / "blink_broken_wb")]
    assert broken["status"] == "failed" and "broken.blend: cannot open" in broken["error"]
    assert "2 of 4 renders written" in run.stdout


def test_render_of_an_unrigged_head_prints_only_its_own_lines(addon: ModuleType, tmp_path: Path) -> None:
    """Opening a face .obj, generating its face shapes (the face reader), rigging and rendering
    print nothing of Blender's or MediaPipe's unless ``-v``: stdout is the ``wrote`` line, stderr
    the note and the progress line. An error raised inside the quiet block still prints."""
    head = canonical_face_obj(tmp_path / "face.obj")
    timeline = tmp_path / "blink.json"
    timeline.write_text(json.dumps(BLINK))
    out = tmp_path / "face.png"
    common = ("render", "--avatar", str(head), "--timeline", str(timeline), "--frames", "3",
              "--resolution", "48x48")
    run = _cli(*common, "-o", str(out))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wrote {out} (frame 3, workbench, 48x48"), run.stdout
    err = run.stderr.splitlines()
    assert err[0].startswith("note: face.obj has no face shapes; CanonicalFace: generated"), run.stderr
    assert len(err) > 1 and all(line.startswith("render: 1/1 frames") for line in err[1:]), run.stderr
    assert _read(addon, out).shape == (48, 48, 3)
    verbose = _cli(*common, "-o", str(tmp_path / "verbose.png"), "-v")
    assert verbose.returncode == 0, verbose.stderr
    assert "OBJ import of 'face.obj'" in verbose.stdout  # the importer's own line (Blender 4.2 and 5.0)
    failed = _cli(*common, "-o", str(tmp_path / "none.png"), "--camera", "Nope")
    assert failed.returncode == 2 and failed.stdout == "" and len(failed.stderr.splitlines()) == 2
    assert failed.stderr.splitlines()[1] == ("facs_rig render: error: no camera named 'Nope' in scene "
                                              "'Scene' (cameras: none)")
    assert not (tmp_path / "none.png").exists()
