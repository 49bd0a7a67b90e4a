# SPDX-License-Identifier: GPL-3.0-or-later
"""``validate`` refuses what ``animate`` cannot do (Blender's frame range and frame rates), reads the
encodings ``convert`` reads, and answers hostile numbers and names with one line per problem."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest

from facs_rig.cli import main

ROOT = Path(__file__).resolve().parents[2]
HEAD = '{"format": "facs-timeline", "version": 1, '
LAST = "past Blender's last frame"


def _doc(fps: str | None = None, offset: str = "2", extra: str = "") -> str:
    rate = f'"fps": {fps}, ' if fps is not None else ""
    return (HEAD + rate + extra + '"events": [{"au": 26, "intensity": "C", "onset": 0, "apex": 1, '
            f'"offset": {offset}}}]}}')


@pytest.mark.parametrize(("text", "problem"), [
    (_doc(offset="1e6"), f"events[0].offset: 1e+06 s is frame 30000001 at 30 fps, {LAST} 1048574"),
    (_doc(fps="24", offset="43691"), f"events[0].offset: 43691 s is frame 1048585 at 24 fps, {LAST}"),
    (_doc(fps="1e-7"), "fps: 1e-07 fps is outside the frame rates Blender can play (1e-06 to 3.2767e+09)"),
    (_doc(fps="1e10"), "fps: 1e+10 fps is outside the frame rates Blender can play"),
    (_doc(fps="9" * 350), "fps: is too large"),
    (_doc(offset="9" * 5000), "invalid JSON: an integer of 5000 digits"),
    (_doc(offset='"2"'), "events[0].offset: must be a number, got a string"),
    (_doc(offset="NaN"), "events[0].offset: is NaN"),
    (_doc(extra='"name": "x\\udfff", '), 'name: "x\\udfff" holds a lone UTF-16 surrogate'),
])
def test_validate_refuses_what_animate_cannot_do(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 text: str, problem: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = path.read_bytes()
    assert main(["validate", str(path)]) == 1
    assert f"{path}: {problem}" in capsys.readouterr().out.splitlines()[0]
    assert path.read_bytes() == before


@pytest.mark.parametrize(("fps", "offset"), [("24", "43690"), ("0.5", "2"), ("40000", "2"), ("29.97", "2")])
def test_what_blender_can_play_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str], fps: str,
                                        offset: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(_doc(fps=fps, offset=offset))
    assert main(["validate", str(path)]) == 0
    assert ": valid: 1 event" in capsys.readouterr().out


def test_validate_reads_utf16_and_refuses_other_encodings(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    good, odd, latin = tmp_path / "u16.json", tmp_path / "odd.json", tmp_path / "latin.json"
    good.write_bytes(codecs.BOM_UTF16_BE + _doc().encode("utf-16-be"))
    odd.write_bytes(codecs.BOM_UTF16_LE + _doc().encode("utf-16-le") + b"\n")
    latin.write_bytes(_doc(extra='"name": "caf\xe9", ').encode("latin-1"))
    assert main(["validate", str(good), str(odd), str(latin)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{good}: valid")
    assert out[1].startswith(f"{odd}: UTF-16 text with an odd number of bytes")
    assert out[2].startswith(f"{latin}: line 1 column 55: byte 0xe9 is not UTF-8 text")


def test_unprintable_keys_reach_a_plain_terminal(tmp_path: Path) -> None:
    """A lone surrogate in a key would crash ``print`` on a UTF-8 stdout; the path escapes it."""
    path = tmp_path / "t.json"
    path.write_text(_doc(extra='"\\ud800": 1, '), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "facs_rig", "validate", str(path)], cwd=ROOT,
                         capture_output=True, env={"PYTHONIOENCODING": "utf-8", "PATH": ""}, check=False)
    assert run.returncode == 0, run.stderr
    assert f'{path}: warning: ["\\ud800"]: unknown key ignored'.encode() in run.stdout
    assert b"Traceback" not in run.stderr
