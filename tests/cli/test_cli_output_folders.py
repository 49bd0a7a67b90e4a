# SPDX-License-Identifier: GPL-3.0-or-later
"""One rule for where every command writes (core.files, docs/reliability.md): an output's missing
folders are made, as ``mkdir -p`` would, but only when the output is written and never left behind
by a command that fails; an output below a file is refused before any work, in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facs_rig.cli import main
from facs_rig.core.timeline import load
from facs_rig.paths import PRESETS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "io" / "fixtures"
DEMO = str(PRESETS / "timelines" / "demo.json")
CSV = str(FIXTURES / "openface_small.csv")


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_every_command_refuses_an_output_below_a_file(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The same check, before any Blender work or network, for every command that writes."""
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"timelines": [DEMO], "output_dir": "not_a_folder/renders"}))
    commands = {
        "convert": ["convert", CSV, "-o", str(blocker / "face.json")],
        "live": ["live", "--source", "llf://127.0.0.1:0", "--record", str(blocker / "take.json")],
        "render": ["render", "--timeline", DEMO, "-o", str(blocker / "frames")],
        "atlas": ["atlas", "-o", str(blocker / "sheet.png")],
        "animate": ["animate", "--timeline", DEMO, "-o", str(blocker / "deeper" / "face.blend")],
        "rig": ["rig", str(tmp_path / "head.glb"), "-o", str(blocker / "rigged.blend")],
        "verify": ["verify", "-o", str(blocker / "report")],
        "batch": ["batch", str(spec)],
    }
    before = _tree(tmp_path)
    for name, args in commands.items():
        assert main(args) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1, (name, err)
        assert f"cannot write there: {blocker} is a file, not a folder" in err, (name, err)
    assert _tree(tmp_path) == before


def test_convert_makes_missing_folders_only_when_it_writes(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "takes" / "day 1" / "face.json"
    assert main(["convert", CSV, "-o", str(out)]) == 0
    assert {t.au for t in load(out).tracks} >= {1, 12}
    assert _tree(tmp_path) == ["takes", "takes/day 1", "takes/day 1/face.json"]
    # an input that does not read (its last row cut short): nothing is written, so no folder is made
    lines = Path(CSV).read_text().splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*lines[:-1], lines[-1][:30]]) + "\n")
    assert main(["convert", str(bad), "-o", str(tmp_path / "new" / "x.json")]) == 2
    assert "truncated" in capsys.readouterr().err
    # a write that fails after its folders were made (the temporary name is too long): they go again
    long_name = tmp_path / "new" / "deeper" / ("n" * 250 + ".json")
    assert main(["convert", CSV, "-o", str(long_name)]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert _tree(tmp_path) == ["bad.csv", "takes", "takes/day 1", "takes/day 1/face.json"]
