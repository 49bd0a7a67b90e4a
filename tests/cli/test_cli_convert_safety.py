# SPDX-License-Identifier: GPL-3.0-or-later
"""``convert`` on hostile paths and inputs: one error line, exit 2, no traceback, and the input and
any existing output exactly as they were; what it writes, its own ``validate`` accepts."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from facs_rig.cli import main
from facs_rig.core.timeline import load
from facs_rig.core.timing import MAX_FRAME

pytestmark = pytest.mark.filterwarnings("error")  # a numpy RuntimeWarning fails the test

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "io" / "fixtures"
OPENFACE = FIXTURES / "openface_small.csv"


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry of a folder: a file's bytes, a link's target, a FIFO's kind."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink():
            out[path.name] = f"-> {os.readlink(path)}"
        elif path.is_file():
            out[path.name] = path.read_bytes()
        else:
            out[path.name] = "special"
    return out


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["convert", *argv]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith("facs_rig convert: error: ") and "Traceback" not in captured.err
    assert captured.out == ""
    return line


def test_output_onto_the_input_or_a_hard_link_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    take = tmp_path / "take.csv"
    take.write_bytes(OPENFACE.read_bytes())
    os.link(take, tmp_path / "same.json")
    before = snapshot(tmp_path)
    assert "-o would overwrite the INPUT file" in refused(capsys, str(take), "-o", str(take))
    assert "-o would overwrite the INPUT file" in refused(
        capsys, str(take), "-o", str(tmp_path / "same.json")
    )
    assert snapshot(tmp_path) == before


def test_output_onto_a_symlink_or_a_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("mine")
    (tmp_path / "link.json").symlink_to(kept)
    os.mkfifo(tmp_path / "pipe.json")
    before = snapshot(tmp_path)
    assert "is a symbolic link" in refused(capsys, str(OPENFACE), "-o", str(tmp_path / "link.json"))
    assert "is a FIFO" in refused(capsys, str(OPENFACE), "-o", str(tmp_path / "pipe.json"))
    assert "/dev/null: -o exists and is a character device" in refused(
        capsys, str(OPENFACE), "-o", "/dev/null"
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["fifo", "zero", "folder", "missing", "binary", "utf16-odd", "cp1252"])
def test_unreadable_inputs_leave_everything_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    source = tmp_path / "in.csv"
    if kind == "fifo":
        os.mkfifo(source)
    elif kind == "folder":
        source.mkdir()
    elif kind == "binary":
        source.write_bytes(b"\x00\x01PK\x03\x04")
    elif kind == "utf16-odd":
        source.write_bytes(codecs.BOM_UTF16_LE + OPENFACE.read_text().encode("utf-16-le")[:-1])
    elif kind == "cp1252":
        source.write_bytes(b"OnsetFrame,OffsetFrame,AUs\n1,5,12\xa0\n")
    name = "/dev/zero" if kind == "zero" else str(source)
    out = tmp_path / "out.json"
    out.write_text("previous")
    before = snapshot(tmp_path)
    line = refused(capsys, name, "-o", str(out))
    assert line.startswith(f"facs_rig convert: error: {Path(name).name}")
    assert snapshot(tmp_path) == before


def test_a_fifo_input_does_not_block_the_command(tmp_path: Path) -> None:
    fifo = tmp_path / "take.csv"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "facs_rig", "convert", str(fifo), "-o", str(tmp_path / "o.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "FIFO" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o.json").exists()


def test_bad_numbers_in_the_input_leave_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("OnsetFrame,OffsetFrame,AUs\n" + "9" * 5000 + ",5,12\n")
    out = tmp_path / "sheet.json"
    out.write_text("previous")
    before = snapshot(tmp_path)
    line = refused(capsys, str(sheet), "-o", str(out))
    assert "sheet.csv, line 2, column 1 (OnsetFrame): frame 9999" in line and len(line) < 250
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),
        ("cp1252", b""),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
def test_convert_and_validate_accept_the_same_encodings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, bom: bytes
) -> None:
    """An input CSV and a timeline in the same encoding: both accepted, or both refused."""
    reference = tmp_path / "reference.json"
    assert main(["convert", str(FIXTURES / "casme_sheet.csv"), "-o", str(reference), "-q"]) == 0
    name = "Café sheet"  # a character whose bytes differ between the encodings
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(
        bom + FIXTURES.joinpath("casme_sheet.csv").read_text().replace("happiness", name).encode(encoding)
    )
    timeline = tmp_path / "timeline.json"
    timeline.write_bytes(bom + reference.read_text().replace('"casme_sheet"', f'"{name}"').encode(encoding))
    assert name.encode(encoding) in timeline.read_bytes() and name.encode(encoding) in sheet.read_bytes()
    converted = main(["convert", str(sheet), "-o", str(tmp_path / "out.json"), "-q"]) == 0
    validated = main(["validate", "-q", str(timeline)]) == 0
    capsys.readouterr()
    assert converted == validated
    assert converted == (encoding.startswith("utf-8") or (bool(bom) and encoding.startswith("utf-16")))


def test_a_take_longer_than_blender_plays_is_split_into_valid_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """py-feat with skipped frames: four samples 20 000 s apart at 30 fps reach frame 1.8 million."""
    fex = tmp_path / "fex.csv"
    fex.write_text(
        "frame,FaceScore,AU12\n" + "".join(f"{i * 600_000},0.99,{0.1 * (i + 1):.1f}\n" for i in range(4))
    )
    out = tmp_path / "long.json"
    assert main(["convert", str(fex), "-o", str(out), "--fps", "30"]) == 0
    printed = capsys.readouterr().out
    parts = [tmp_path / "long.part1.json", tmp_path / "long.part2.json"]
    assert "split into 2 timelines" in printed and all(f"wrote {p}" in printed for p in parts)
    assert not out.exists()
    assert main(["validate", *map(str, parts)]) == 0
    loaded = [load(p) for p in parts]
    assert [t.meta["import"]["part"]["index"] for t in loaded] == [1, 2]
    starts = [t.meta["import"]["part"]["start"] for t in loaded]
    assert starts == pytest.approx([0.0, 30_000.0])
    times = np.concatenate([t.tracks[0].times + s for t, s in zip(loaded, starts, strict=True)])
    assert times == pytest.approx(np.arange(4) * 20_000.0)
    assert all(t.tracks[0].times[-1] * 30 < MAX_FRAME for t in loaded)
