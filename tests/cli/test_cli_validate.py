# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig validate``: one line per problem, a summary per valid file, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from facs_rig.cli import main

ROOT = Path(__file__).resolve().parents[2]
VALID = {
    "format": "facs-timeline",
    "version": 1,
    "events": [
        {"expression": "surprise", "intensity": "D", "onset": 1, "apex": 1.2, "apex_end": 2, "offset": 3},
        {"au": 45, "intensity": "E", "onset": 4, "apex": 4.1, "offset": 4.3},
    ],
}


def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_valid_file_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "good.json", VALID)
    assert main(["validate", good]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{good}: valid: 2 events (5 per AU and side), 5 AUs")
    assert "1–4.3 s (3.3 s)" in out[0]


def test_invalid_files_list_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = dict(
        VALID,
        events=[
            {"au": 12, "intensity": "C", "onset": 1.5, "apex": 1.2, "offset": 2},
            {"au": 99, "intensity": "C", "onset": 0, "apex": 1, "offset": 2},
        ],
    )
    bad_path = write(tmp_path, "bad.json", bad)
    broken = write(tmp_path, "broken.json", '{"format": "facs-timeline",\n "version": 1,,}')
    good = write(tmp_path, "good.json", VALID)
    assert main(["validate", bad_path, broken, good]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert f"{bad_path}: events[0].apex: 1.2 is before onset 1.5" in lines
    assert any(line.startswith(f"{bad_path}: events[1].au: unknown AU 99") for line in lines)
    assert any(line.startswith(f"{broken}: line 2 column 15: invalid JSON") for line in lines)
    assert any(line.startswith(f"{good}: valid:") for line in lines)
    assert "2 of 3 files invalid" in captured.err


def test_warnings_and_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warned = write(tmp_path, "w.json", dict(VALID, extra=True))
    assert main(["validate", warned]) == 0
    assert f"{warned}: warning: extra: unknown key ignored" in capsys.readouterr().out
    assert main(["validate", "--strict", warned]) == 1


def test_shipped_timelines_are_valid_without_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in (ROOT / "presets" / "timelines").glob("*.json"))
    assert len(files) >= 3
    assert main(["validate", "--strict", *files]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(files)


def test_runs_as_a_module(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    result = subprocess.run(
        [sys.executable, "-m", "facs_rig", "validate", missing],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith(f"{missing}: cannot read the file")
