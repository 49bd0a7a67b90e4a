# SPDX-License-Identifier: GPL-3.0-or-later
"""The Flamenco job type (presets/flamenco/facs_rig_render.js), compiled with Node against a
stand-in for Flamenco's ``author`` API: chunks cover every frame once, each task's command line is
one the facs_rig CLI accepts for exactly that chunk, and bad settings are refused."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from facs_rig.cli import build_parser
from facs_rig.cli.render import job_from_args
from facs_rig.paths import PRESETS

SCRIPT = PRESETS / "flamenco" / "facs_rig_render.js"
NODE = shutil.which("node") or shutil.which("nodejs")

HARNESS = """
const m = require(process.argv[1]);
global.author = {
  Task: (name, type) => ({ name, type, commands: [], deps: [],
    addCommand(c) { this.commands.push(c); }, addDependency(t) { this.deps.push(t.name); } }),
  Command: (type, params) => ({ type, params }),
};
const job = { settings: JSON.parse(process.argv[2]), tasks: [], addTask(t) { this.tasks.push(t); } };
try { m.compileJob(job); } catch (e) { console.log(JSON.stringify({ error: String(e) })); process.exit(0); }
console.log(JSON.stringify({ tasks: job.tasks, settings: m.JOB_TYPE.settings.map(s => s.key) }));
"""

BASE = {"runner": "facs_rig", "python": "/venv/bin/python", "blender_cmd": "/opt/blender",
        "avatar": "default", "blendfile": "", "timeline": "/s/demo.json", "frames": "1-50", "chunk_size": 24,
        "render_output": "/s/out", "engine": "workbench", "resolution": "64x64", "samples": 0, "labels": True,
        "video": True, "fps": 30}


def _compile(**settings: Any) -> dict[str, Any]:
    assert NODE, "Node.js runs the Flamenco job type tests (it ships with the machine image)"
    out = subprocess.run([NODE, "-e", HARNESS, str(SCRIPT), json.dumps({**BASE, **settings})],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_chunks_cover_every_frame_once_with_cli_commands() -> None:
    result = _compile(frames="1-50,60-61")
    *renders, video = result["tasks"]
    assert [t["name"] for t in renders] == ["render-1-24", "render-25-48", "render-49-50", "render-60-61"]
    frames: list[int] = []
    for task in renders:
        (command,) = task["commands"]
        assert command["type"] == "exec" and command["params"]["exe"] == "/venv/bin/python"
        argv = command["params"]["args"]
        assert argv[:2] == ["-m", "facs_rig"]
        job = job_from_args(build_parser().parse_args(argv[2:]))
        assert job.avatar == "default" and job.timeline == "/s/demo.json" and job.engine == "workbench"
        assert job.resolution == (64, 64) and job.kind == "sequence" and job.output == "/s/out"
        assert job.labels == f"/s/out/labels/frames_{job.frames[0]}-{job.frames[1]}.csv"
        frames += range(job.frames[0], job.frames[1] + 1)
    assert frames == [*range(1, 51), 60, 61]
    assert video["type"] == "ffmpeg" and video["deps"] == [t["name"] for t in renders]
    params = video["commands"][0]["params"]
    assert params["inputGlob"] == "/s/out/frame_*.png"
    assert params["outputFile"] == "/s/out/demo-1-50,60-61.mp4"


def test_blender_runner_needs_no_addon() -> None:
    result = _compile(runner="blender", blendfile="/s/rigged.blend", timeline="", engine="", resolution="",
                      frames="10-12", chunk_size=2, video=False)
    assert [t["name"] for t in result["tasks"]] == ["render-10-11", "render-12-12"]
    command = result["tasks"][0]["commands"][0]
    assert command["type"] == "blender-render" and command["params"]["blendfile"] == "/s/rigged.blend"
    assert command["params"]["args"] == ["--render-output", "/s/out/frame_####", "--render-format", "PNG",
                                         "--render-frame", "10..11"]
    assert not any("facs_rig" in str(arg) for arg in command["params"]["args"])


@pytest.mark.parametrize(("settings", "message"), [
    ({"frames": "5-2"}, "ends before it starts"),
    ({"frames": "a-b"}, "is not a frame"),
    ({"runner": "blender", "blendfile": ""}, "set blendfile"),
    ({"runner": "blender", "blendfile": "/s/x.blend"}, "apply the timeline"),
    ({"runner": "blender", "blendfile": "/s/x.blend", "timeline": ""}, "own engine"),
    ({"timeline": "", "avatar": "default"}, "set timeline"),
])
def test_bad_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    assert message in _compile(**settings)["error"]


def test_job_type_declares_what_compile_job_reads() -> None:
    declared = set(_compile()["settings"])
    assert set(BASE) <= declared
