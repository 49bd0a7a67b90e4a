# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile inputs to every importer: special and oversized files, odd encodings, non-finite and
absurd numbers, repeated names. Each gives a clear error naming the file (and line and column), or
a result with gaps and a counted warning; never a hang, a traceback or a numpy warning."""

from __future__ import annotations

import codecs
import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest

from facs_rig.core.timing import MAX_FRAME
from facs_rig.io import ReadError, read_any
from facs_rig.io import formats as formats_module
from facs_rig.io.capture import MAX_MAGNITUDE
from facs_rig.io.table import GIB

from .test_io_livelinkface import SHAPES, write_take
from .test_io_livelinkface import track as values

pytestmark = pytest.mark.filterwarnings("error")  # a numpy RuntimeWarning fails the test

FIXTURES = Path(__file__).parent / "fixtures"
OPENFACE = (FIXTURES / "openface_small.csv").read_text().splitlines()


def openface_with(tmp_path: Path, row: int, column: str, cell: str, name: str = "of.csv") -> Path:
    """The small OpenFace fixture with one cell replaced (``row`` 1-based among data rows)."""
    names = [n.strip() for n in OPENFACE[0].split(",")]
    lines = list(OPENFACE)
    cells = lines[row].split(", ")
    cells[names.index(column)] = cell
    lines[row] = ", ".join(cells)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------------------------------------
# Files that are not regular, or too large


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "take.csv"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match=r"take\.csv: cannot read the file: the input is a FIFO"):
        read_any(fifo)
    with pytest.raises(ReadError, match="FIFO"):
        read_any(fifo, fmt="openface")


def test_devices_and_folders_are_refused() -> None:
    with pytest.raises(ReadError, match="zero: cannot read the file: the input is a character device"):
        read_any("/dev/zero")
    with pytest.raises(ReadError, match="a folder"):
        read_any(FIXTURES)


def test_a_file_over_the_csv_limit_is_refused_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as fh:  # sparse: takes no disk space, would take 2 GiB of memory
        fh.truncate(2 * GIB + 1)
    with pytest.raises(
        ReadError, match=r"huge\.csv: cannot read the file: .* more than the 2,147,483,648-byte"
    ):
        read_any(huge)


def test_each_format_has_its_own_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of a format with a smaller limit than its extension's largest is refused once detected."""
    sheet = FIXTURES / "casme_sheet.csv"
    small = tuple(
        dataclasses.replace(f, max_bytes=100) if f.id == "events" else f for f in formats_module.FORMATS
    )
    monkeypatch.setattr(formats_module, "FORMATS", small)
    with pytest.raises(
        ReadError,
        match=r"casme_sheet\.csv: cannot read the file: the Event sheet CSV is .* "
        r"more than the 100-byte limit",
    ):
        read_any(sheet)
    assert read_any(FIXTURES / "openface_small.csv").report.frames == 6


# ---------------------------------------------------------------------------------------------
# Encodings: the same rule as `validate`


def test_utf16_with_bom_and_utf8_with_bom_are_read(tmp_path: Path) -> None:
    text = "\n".join(OPENFACE) + "\n"
    for encoding, bom in (
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-8", codecs.BOM_UTF8),
    ):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(bom + text.encode(encoding))
        assert read_any(path).report.frames == 6


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (codecs.BOM_UTF16_LE + "a,b\n1,2\n".encode("utf-16-le") + b"x", "odd number of bytes", None),
        ("a,b\n1,2\n".encode("utf-16-le"), "binary file", None),
        (codecs.BOM_UTF16_LE + b"a\x00,\x00\x00\xdc\n\x00", "lone surrogate", None),
        ("OnsetFrame,OffsetFrame,AUs\n1,5,12 caf\xe9\n".encode("cp1252"), "byte 0xe9 is not UTF-8", 2),
    ],
)
def test_other_encodings_are_refused_naming_the_file(
    tmp_path: Path, data: bytes, message: str, line: int | None
) -> None:
    path = tmp_path / "sheet.csv"
    path.write_bytes(data)
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert str(err.value).startswith("sheet.csv") and message in str(err.value)
    assert err.value.line == line
    assert path.read_bytes() == data


# ---------------------------------------------------------------------------------------------
# Values that are no measurement become gaps, counted


def test_openface_non_finite_and_huge_values_become_counted_gaps(tmp_path: Path) -> None:
    path = openface_with(tmp_path, 2, "AU12_r", "inf")
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(", 4.00, 4.00, 4.00,", ", nan, 1e999, 4.00,")  # AU01_r, AU12_r
    lines[6] = lines[6].replace("0.00, 1.00, 0.00,", f"0.00, {2 * MAX_MAGNITUDE:g}, 0.00,")
    path.write_text("\n".join(lines) + "\n")
    result = read_any(path)
    au12, au1 = values(result, 12), values(result, 1)
    assert np.isnan(au12[[1, 2, 5]]).all() and np.isnan(au1[2])
    assert au12[0] == 0.0 and au12[4] == 1.0  # real values stay
    [warning] = [w for w in result.report.warnings if "not finite" in w]
    assert warning.startswith("4 AU values") and "AU01_r, AU12_r" in warning


def test_openface_confidence_and_pose_cells(tmp_path: Path) -> None:
    path = openface_with(tmp_path, 2, "confidence", "inf")
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace("-0.350, -0.530", "nan, -0.530")  # pose_Rx
    path.write_text("\n".join(lines) + "\n")
    result = read_any(path)
    assert np.isnan(values(result, 12)[1])  # an infinite confidence is no confidence: a gap frame
    assert np.isnan(values(result, 53)[4]) and values(result, 51)[4] > 0
    warnings = " / ".join(result.report.warnings)
    assert "1 confidence value not finite" in warnings and "1 head pose and gaze value" in warnings


def test_openface_empty_cells_are_still_damage_but_text_nan_is_a_gap(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"line 3, column 13 \(AU12_r\): empty value"):
        read_any(openface_with(tmp_path, 2, "AU12_r", ""))
    assert np.isnan(values(read_any(openface_with(tmp_path, 2, "AU12_r", "NaN")), 12)[1])


def test_openface_timestamps_must_be_times(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"line 4, column 3 \(timestamp\): timestamp inf is not a time"):
        read_any(openface_with(tmp_path, 3, "timestamp", "inf"))


def test_live_link_non_finite_weights_and_rotations(tmp_path: Path) -> None:
    path = write_take(
        tmp_path / "take.csv", rate=60, frames=5, shapes={"JawOpen": 0.5}, rotations={"HeadYaw": 0.2}
    )
    lines = path.read_text().splitlines()
    cells = lines[2].split(",")
    cells[2 + SHAPES.index("JawOpen")] = "inf"
    cells[2 + len(SHAPES)] = "nan"  # HeadYaw
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    result = read_any(path)
    jaw = values(result, 26)
    assert np.isnan(jaw[1]) and np.isfinite(jaw[[0, 2, 3, 4]]).all()
    assert np.isnan(values(result, 52)[1]) and values(result, 52)[0] > 0
    warnings = " / ".join(result.report.warnings)
    assert "1 blendshape value not finite (nan, inf)" in warnings and "in JawOpen" in warnings
    assert "1 head and eye rotation value" in warnings


def test_pyfeat_infinite_cells(tmp_path: Path) -> None:
    lines = (FIXTURES / "pyfeat_v1.csv").read_text().splitlines()
    lines[1] = lines[1].replace("0.99,-2.0", "inf,-2.0").replace(",0.80,0.00,", ",1e999,0.00,")
    path = tmp_path / "fex.csv"
    path.write_text("\n".join(lines) + "\n")
    result = read_any(path)
    assert np.isnan(values(result, 12)[0])  # FaceScore inf: not a face the detector was sure of
    warnings = " / ".join(result.report.warnings)
    assert "1 confidence value not finite" in warnings and "1 AU value not finite" in warnings


def test_audio2face_and_mediapipe_non_finite_scores(tmp_path: Path) -> None:
    text = (FIXTURES / "audio2face_small.json").read_text()
    a2f = tmp_path / "a2f.json"
    a2f.write_text(text.replace("[0.35, 0.5, 0.25, 1.0]", "[NaN, 0.5, Infinity, 1e999]"))
    result = read_any(a2f)
    assert result.report.frames == 3 and "3 blendshape values not finite" in " ".join(result.report.warnings)
    mp = tmp_path / "mp.json"
    mp.write_text(
        (FIXTURES / "mediapipe_sequence.json").read_text().replace('"score": 0.8', '"score": Infinity')
    )
    result = read_any(mp)
    assert "1 blendshape value not finite" in " ".join(result.report.warnings)
    assert np.isnan([t.values[2] for t in result.timeline.tracks]).all()


# ---------------------------------------------------------------------------------------------
# Repeated names


def test_repeated_column_names_are_an_error_naming_them(tmp_path: Path) -> None:
    path = write_take(tmp_path / "take.csv", rate=60, frames=3)
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("MouthClose", "JawOpen")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert err.value.line == 1
    first = 3 + SHAPES.index("JawOpen")
    assert f"repeats column name(s) 'JawOpen' (columns {first}, {first + 1})" in str(err.value)
    of = tmp_path / "of.csv"
    of.write_text("\n".join([OPENFACE[0].replace("AU45_r", "AU12_r"), *OPENFACE[1:]]) + "\n")
    with pytest.raises(ReadError, match=r"'AU12_r' \(columns 13, 14\)"):
        read_any(of)


def test_the_same_shape_named_twice_is_an_error(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "audio2face_small.json").read_text())
    data["facsNames"][3] = "MouthSmile_L"
    path = tmp_path / "a2f.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ReadError, match="blendshapes 'mouthSmileLeft' and 'MouthSmile_L' are the same shape"):
        read_any(path)
    mp = tmp_path / "mp.json"
    mp.write_text(
        json.dumps([{"category_name": "jawOpen", "score": 0.1}, {"category_name": "jawOpen", "score": 0.2}])
    )
    with pytest.raises(ReadError, match=r"'jawOpen' is listed twice in one face"):
        read_any(mp)


def test_a_lone_surrogate_in_a_shape_name(tmp_path: Path) -> None:
    data = (FIXTURES / "audio2face_small.json").read_text().replace('"eyeBlinkLeft"', '"eye\\udc80"')
    path = tmp_path / "a2f.json"
    path.write_text(data)
    with pytest.raises(ReadError, match=r"blendshape name 'eye\\udc80' is not valid text"):
        read_any(path)


# ---------------------------------------------------------------------------------------------
# Live Link timecodes and event-sheet frames


@pytest.mark.parametrize(
    ("timecode", "message"),
    [
        ("1" * 5000 + ":32:09:10.000", "is not a timecode HH:MM:SS:FF.fff"),
        ("00:32:09:10." + "9" * 400, "is not a timecode"),
        ("00:75:09:10.000", "minutes and seconds run to 59"),
        ("00:32:09:99.000", "frame number 99 in the timecode is above every known take rate"),
    ],
)
def test_absurd_timecodes_are_clear_errors(tmp_path: Path, timecode: str, message: str) -> None:
    path = write_take(tmp_path / "take.csv", rate=60, frames=4)
    lines = path.read_text().splitlines()
    lines[2] = timecode + lines[2][lines[2].index(",") :]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert (err.value.line, err.value.column_name) == (3, "Timecode")
    assert message in str(err.value) and len(str(err.value)) < 300


def test_a_take_mixing_frame_rates_is_warned_about(tmp_path: Path) -> None:
    steady = write_take(tmp_path / "steady.csv", rate=60, frames=300, first=(0, 32, 0, 0))
    assert not any("frame rate changes" in w for w in read_any(steady).report.warnings)
    lines = steady.read_text().splitlines()
    # seconds 2 and 3 recorded at 30 fps: every other frame number
    mixed = [
        line for line in lines if not (line.startswith(("00:32:02:", "00:32:03:")) and int(line[9:11]) % 2)
    ]
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(mixed) + "\n")
    result = read_any(path)
    [warning] = [w for w in result.report.warnings if "frame rate changes" in w]
    assert "2 seconds hold about 30 frames, 1 about 60" in warning
    assert result.timeline.meta["import"]["mixed_frame_rates"] is True


@pytest.mark.parametrize("onset", ["1" * 5000, "1e999", "-inf", str(MAX_FRAME + 1), "-5"])
def test_absurd_sheet_frames_are_clear_errors(tmp_path: Path, onset: str) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text(f"OnsetFrame,ApexFrame,OffsetFrame,AUs\n{onset},2,3,12\n")
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert (err.value.line, err.value.column_name) == (2, "OnsetFrame")
    assert f"outside Blender's frame range 0..{MAX_FRAME}" in str(err.value)
    assert len(str(err.value)) < 200


@pytest.mark.parametrize(
    ("first", "message"),
    [
        ("NaN", "frame 0: timestamp nan is not a time"),
        ("1" * 350, "frame 0: timestamp inf is not a time"),
    ],
)
def test_absurd_mediapipe_timestamps_are_clear_errors(tmp_path: Path, first: str, message: str) -> None:
    path = tmp_path / "mp.json"
    path.write_text(
        (FIXTURES / "mediapipe_sequence.json")
        .read_text()
        .replace('"timestamp_ms": 1000', f'"timestamp_ms": {first}')
    )
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert str(err.value).startswith("mp.json") and message in str(err.value) and len(str(err.value)) < 250


def test_a_rate_blender_cannot_play_is_refused(tmp_path: Path) -> None:
    frame = '{{"timestamp": {t}, "blendshapes": [{{"category_name": "jawOpen", "score": 0.5}}]}}'
    path = tmp_path / "mp.json"
    path.write_text("[" + ", ".join(frame.format(t=t) for t in ("0", "5e-324", "1e-323")) + "]")
    with pytest.raises(
        ReadError, match=r"^mp\.json: the file's frame rate: inf fps is outside the frame rates"
    ):
        read_any(path)
