# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch specs and manifests, without Blender: expansion into the grid of timelines × avatars ×
settings, errors that name the file and JSON path, manifest round trips, dry runs."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from facs_rig.batch.manifest import COLUMNS, manifest_row, read_manifest, write_manifest
from facs_rig.batch.spec import SpecError, load_spec
from facs_rig.cli import build_parser, main
from facs_rig.cli.render import job_from_args
from facs_rig.paths import PRESETS
from facs_rig.render.job import (
    RenderJob,
)
from facs_rig.render.result import JobResult

TIMELINE = {"format": "facs-timeline", "version": 1, "events": [
    {"au": 12, "side": "R", "intensity": "B", "onset": 0.0, "apex": 0.2, "offset": 0.5},
    {"au": 14, "side": "R", "intensity": "B", "onset": 0.0, "apex": 0.2, "offset": 0.5},
    {"au": 26, "intensity": "D", "onset": 1.0, "apex": 1.2, "offset": 1.5},
]}


def _write(tmp_path: Path, spec: dict[str, Any], name: str = "spec.json") -> Path:
    (tmp_path / "timelines").mkdir(exist_ok=True)
    for stem in ("happy", "sad"):
        (tmp_path / "timelines" / f"{stem}.json").write_text(json.dumps(TIMELINE))
    (tmp_path / "alice.blend").write_bytes(b"BLENDER")
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return path


def test_spec_expands_the_grid(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, {
        "output_dir": "out", "labels": True,
        "timelines": ["timelines/*.json"],
        "avatars": ["default", {"name": "Alice B", "file": "alice.blend", "preset": "arkit52"}],
        "settings": [{"name": "wb", "resolution": [64, 48]},
                     {"name": "cy", "engine": "cycles", "samples": 4}],
    }))
    assert len(spec.jobs) == 2 * 2 * 2
    assert spec.output_dir == tmp_path / "out" and spec.manifest == tmp_path / "out" / "manifest.csv"
    names = [job.name for job in spec.jobs]
    assert names[:4] == ["happy_default_wb", "happy_default_cy", "happy_Alice-B_wb", "happy_Alice-B_cy"]
    alice = spec.jobs[3]
    assert alice.avatar == str(tmp_path / "alice.blend") and alice.preset == "arkit52"
    assert alice.engine == "cycles" and alice.samples == 4 and alice.resolution is None
    assert alice.timeline == str(tmp_path / "timelines" / "happy.json")
    assert alice.output == str(tmp_path / "out" / "happy_Alice-B_cy.mp4")
    assert alice.labels == str(tmp_path / "out" / "happy_Alice-B_cy_labels.csv")
    assert spec.jobs[0].resolution == (64, 48) and spec.jobs[0].engine is None
    assert spec.meta["sad_default_wb"] == {"timeline": "sad", "avatar": "default", "settings": "wb"}


def test_formats_and_defaults(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, {"timelines": ["timelines/sad.json"], "format": "frames"}))
    (job,) = spec.jobs
    assert job.kind == "sequence" and job.avatar == "default" and job.labels is None
    assert job.output == str(tmp_path / "renders" / "sad_default_default")
    spec = load_spec(_write(tmp_path, {"avatars": ["alice.blend"], "format": "png", "name": "{avatar}"}))
    assert [j.output for j in spec.jobs] == [str(tmp_path / "renders" / "alice.png")]
    assert spec.jobs[0].timeline is None  # a .blend plays its own animation


@pytest.mark.parametrize(("spec", "where", "message"), [
    ({"timelines": ["timelines/none.json"]}, r"\$\.timelines\[0\]", "file not found"),
    ({"timelines": ["nothing/*.json"]}, r"\$\.timelines\[0\]", "no file matches"),
    ({"timelines": ["timelines/sad.json"], "avatars": [{"file": "bob.blend"}]}, r"\$\.avatars\[0\]\.file",
     "file not found"),
    ({"timelines": ["timelines/sad.json"], "settings": [{"engine": "evee"}]}, r"\$\.settings\[0\]\.engine",
     "'evee' is not one of"),
    ({"timelines": ["timelines/sad.json"], "settings": [{"resolution": "12"}]},
     r"\$\.settings\[0\]\.resolution", "expected WIDTHxHEIGHT"),
    ({"timelines": ["timelines/sad.json"], "settings": [{"samples": 0}]}, r"\$\.settings\[0\]\.samples",
     "whole number"),
    ({"timelines": ["timelines/sad.json"], "colour": "red"}, r"\$", "unknown key 'colour'"),
    ({"timelines": ["timelines/*.json"], "name": "{avatar}"}, r"\$\.name", "would both write 'default'"),
    ({"timelines": ["timelines/sad.json"], "name": "{face}"}, r"\$\.name", "bad pattern"),
    ({"timelines": ["timelines/sad.json"], "format": "gif"}, r"\$\.format", "'gif' is not one of"),
    ({}, r"\$\.timelines", "the default avatar has no animation"),
])
def test_spec_errors_name_the_place(tmp_path: Path, spec: dict[str, Any], where: str, message: str) -> None:
    path = _write(tmp_path, spec)
    with pytest.raises(SpecError, match=rf"^{path}: {where}: .*{message}"):
        load_spec(path)


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "timelines": [,]\n}')
    with pytest.raises(SpecError, match=rf"^{path}: line 2 column 17: "):
        load_spec(path)
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "missing.json")


def test_example_spec_is_valid() -> None:
    spec = load_spec(PRESETS / "batch_example.json")
    assert len(spec.jobs) == 4 and all(job.labels for job in spec.jobs)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_manifest_round_trip(tmp_path: Path, suffix: str) -> None:
    job = RenderJob(output="/o/a.mp4", timeline="/t/a.json", engine="cycles", samples=4, resolution=(64, 64))
    done = JobResult("", job.output, "ok", frames=(1, 12), fps=30.0, duration=0.4, facs="6C+12D", seconds=1.5)
    ok = manifest_row(job, done, {"avatar": "default", "timeline": "a", "settings": "cy"})
    failed = manifest_row(RenderJob(output="/o/b.png"),
                          JobResult("", "/o/b.png", "failed", error="no camera"))
    path = write_manifest(tmp_path / f"manifest{suffix}", [ok, failed])
    rows = read_manifest(path)
    assert [row["output"] for row in rows] == ["/o/a.mp4", "/o/b.png"]
    assert str(rows[0]["frame_count"]) == "12" and rows[0]["frames"] == "1-12" and rows[0]["facs"] == "6C+12D"
    assert rows[0]["resolution"] == "64x64" and rows[0]["engine"] == "cycles"
    assert rows[1]["status"] == "failed" and rows[1]["error"] == "no camera"
    if suffix == ".csv":
        assert list(rows[0]) == list(COLUMNS)
    assert not list(tmp_path.glob("*.tmp"))


def test_dry_run_prints_render_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, {"timelines": ["timelines/*.json"], "labels": True,
                             "settings": [{"name": "a", "frames": "1-5", "samples": 3}]})
    assert main(["batch", str(path), "--dry-run"]) == 0
    *commands, summary = capsys.readouterr().out.splitlines()
    spec = load_spec(path)
    assert summary == f"2 jobs, manifest {spec.manifest}"
    for command, job in zip(commands, spec.jobs, strict=True):
        argv = shlex.split(command)
        assert argv[:3] == ["python", "-m", "facs_rig"]
        assert job_from_args(build_parser().parse_args(argv[3:])) == replace(job, name="")
    assert not spec.output_dir.exists()  # nothing rendered, nothing written
