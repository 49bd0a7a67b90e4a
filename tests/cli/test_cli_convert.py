# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig convert``: writes a loadable timeline, or an error and nothing at all."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import skimage.data
import skimage.io

from facs_rig.cli import build_parser, main
from facs_rig.core.timeline import load

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "io" / "fixtures"


def test_convert_writes_a_timeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "face.json"
    assert main(["convert", str(FIXTURES / "openface_small.csv"), "-o", str(out)]) == 0
    timeline = load(out)
    assert {t.au for t in timeline.tracks} >= {1, 12, 45, 51, 61}
    assert timeline.meta["import"]["format"] == "openface"
    printed = capsys.readouterr().out
    assert "OpenFace 2.x CSV" in printed and f"wrote {out}" in printed


def test_convert_events_and_explicit_format(tmp_path: Path) -> None:
    out = tmp_path / "sheet.json"
    assert main(["convert", str(FIXTURES / "casme_sheet.csv"), "-o", str(out), "--from", "events",
                 "--fps", "100", "--clip", "EP03_02", "-q"]) == 0
    timeline = load(out)
    assert {e.au for e in timeline.events} == {6, 12}
    assert max(e.offset for e in timeline.events) == pytest.approx(0.4)


def test_bad_input_leaves_the_output_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    lines = (FIXTURES / "openface_small.csv").read_text().splitlines()
    bad.write_text("\n".join([*lines[:-1], lines[-1][:30]]) + "\n")
    fresh = tmp_path / "fresh.json"
    assert main(["convert", str(bad), "-o", str(fresh)]) == 2
    assert not fresh.exists()
    existing = tmp_path / "existing.json"
    existing.write_text("keep me")
    assert main(["convert", str(bad), "-o", str(existing)]) == 2
    assert existing.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "existing.json"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "bad.csv, line 7" in err[0] and "truncated" in err[0]


def _convert(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facs_rig", "convert", *args],
                          cwd=ROOT, capture_output=True, text=True, check=False)


def test_command_line_entry(tmp_path: Path) -> None:
    out = tmp_path / "a2f.json"
    done = _convert(str(FIXTURES / "audio2face_small.json"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "blendshape fit residual" in done.stdout
    assert load(out).fps == 30.0


def test_quiet_photo_prints_nothing_at_all(tmp_path: Path) -> None:
    """The face reader on a photo with -q: MediaPipe's and TensorFlow Lite's own log lines (written
    from C, before and while the model runs) are silenced too; without -q they still show."""
    photo = tmp_path / "astronaut.jpg"
    skimage.io.imsave(photo, skimage.data.astronaut())
    out = tmp_path / "astronaut.json"
    done = _convert(str(photo), "-o", str(out), "-q")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    smile = {t.side: t.values[0] for t in load(out).tracks if t.au == 12}
    assert smile["L"] > 0.5 and smile["R"] > 0.5
    loud = _convert(str(photo), "-o", str(out))
    assert loud.returncode == 0 and f"wrote {out}" in loud.stdout and loud.stderr


def test_preset_metavar_says_what_each_command_accepts(tmp_path: Path) -> None:
    """``auto`` is in a command's ``--preset`` metavar exactly when the command takes it."""
    subcommands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    metavars = {name: next(a.metavar for a in parser._actions if "--preset" in a.option_strings)
                for name, parser in subcommands.choices.items()
                if any("--preset" in a.option_strings for a in parser._actions)}
    assert set(metavars.values()) == {"auto|NAME|FILE", "NAME|FILE"}
    for name in ("convert", "live"):
        assert metavars[name] == "NAME|FILE"
    done = _convert(str(FIXTURES / "audio2face_small.json"), "-o", str(tmp_path / "a.json"),
                    "--preset", "auto")
    assert done.returncode == 2 and "unknown mapping preset 'auto'" in done.stderr
