# SPDX-License-Identifier: GPL-3.0-or-later
"""Every project error reaches the user of the CLI as one line and exit status 2, never as a
traceback, whichever layer raised it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "presets" / "timelines" / "demo.json"


def test_missing_avatar_asset_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "default_head.npz"
    out = tmp_path / "out"
    code = (
        "import pathlib, sys\n"
        "import facs_rig.blender.avatar as avatar\n"
        f"avatar.ASSET_PATH = pathlib.Path({str(missing)!r})\n"
        "from facs_rig.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, "render", "--avatar", "default", "--timeline", str(DEMO),
         "-o", str(out / "face.png")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("facs_rig render: error:")]
    assert errors == [f"facs_rig render: error: {missing}: default avatar asset not found; "
                      "rebuild it with `make assets` (tools/build_avatar_asset.py)"]
    assert not out.exists()


def test_a_timeline_with_several_problems_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "facs-timeline", "version": 1, "events": [{"au": 12}, {"au": 999}]}')
    run = subprocess.run(
        [sys.executable, "-m", "facs_rig", "animate", "--timeline", str(bad),
         "-o", str(tmp_path / "x.blend")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"facs_rig animate: error: {bad}: events[0]")
    assert " / " in lines[0] and "events[1]" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]
