# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenFace 2.x CSV: AU intensities on the openface scale, gaps, head pose and gaze signs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from facs_rig.io import ReadError, read_any
from facs_rig.io.angles import (
    EYE_PITCH_FULL_DEG,
    EYE_YAW_FULL_DEG,
    HEAD_PITCH_FULL_DEG,
    HEAD_ROLL_FULL_DEG,
    HEAD_YAW_FULL_DEG,
)

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SMALL = FIXTURES / "openface_small.csv"


def values(result, au: int, side: str = "both") -> np.ndarray:
    [track] = [t for t in result.timeline.tracks if (t.au, t.side) == (au, side)]
    return track.values


def test_intensities_are_r_over_five_on_symmetric_tracks() -> None:
    result = read_any(SMALL)
    assert result.report.format == "openface"
    assert values(result, 12)[1] == pytest.approx(2.5 / 5)
    assert values(result, 1)[1] == pytest.approx(1.0 / 5)
    assert values(result, 45)[1] == pytest.approx(1.0)
    assert {t.side for t in result.timeline.tracks} == {"both"}
    # out-of-range regression outputs are clipped, presence (_c) columns are not imported
    assert values(result, 1)[4] == 1.0 and values(result, 45)[4] == 0.0
    assert 28 not in {t.au for t in result.timeline.tracks}


def test_times_come_from_timestamp() -> None:
    result = read_any(SMALL)
    track = result.timeline.tracks[0]
    assert np.allclose(track.times, [0.0, 0.04, 0.08, 0.12, 0.16, 0.2])
    assert result.timeline.fps == 25.0


def test_lost_and_unsure_frames_are_gaps_not_zeros() -> None:
    result = read_any(SMALL)
    au12 = values(result, 12)
    assert np.isnan(au12[2])  # success == 0
    assert np.isnan(au12[3])  # confidence 0.5 < 0.8
    assert result.report.gap_frames == 2
    relaxed = read_any(SMALL, min_confidence=0.4)
    assert values(relaxed, 12)[3] == pytest.approx(4.0 / 5)
    assert relaxed.report.gap_frames == 1


def test_head_pose_signs_and_full_intensity_angles() -> None:
    result = read_any(SMALL)
    # row 2: +pose_Ry turns to the subject's right (52), +Rx tips down (54), -Rz tilts right (56)
    assert values(result, 52)[1] == pytest.approx(math.degrees(0.262) / HEAD_YAW_FULL_DEG)
    assert values(result, 51)[1] == 0.0
    assert values(result, 54)[1] == pytest.approx(math.degrees(0.1) / HEAD_PITCH_FULL_DEG)
    assert values(result, 56)[1] == pytest.approx(math.degrees(0.175) / HEAD_ROLL_FULL_DEG)
    # row 5: the opposite directions, past full intensity: clipped to 1
    for au in (51, 53, 55):
        assert values(result, au)[4] == 1.0
    for au in (52, 54, 56):
        assert values(result, au)[4] == 0.0


def test_gaze_signs() -> None:
    result = read_any(SMALL)
    assert values(result, 61)[1] == pytest.approx(math.degrees(0.3) / EYE_YAW_FULL_DEG)  # +x: subject's left
    assert values(result, 63)[1] == pytest.approx(math.degrees(0.1) / EYE_PITCH_FULL_DEG)  # -y: up
    assert values(result, 62)[4] == 1.0
    assert values(result, 64)[4] == 1.0


def test_old_build_without_face_id_and_constant_frame() -> None:
    result = read_any(FIXTURES / "openface_old_build.csv")
    track = next(t for t in result.timeline.tracks if t.au == 26)
    assert np.all(np.diff(track.times) > 0)
    assert track.values.tolist() == pytest.approx([0.0, 0.4, 0.6, 0.8])
    assert result.timeline.fps == 30.0  # 0.033/0.034 steps: the mean, not the median


def test_several_faces_keep_the_main_one(tmp_path: Path) -> None:
    rows = ["frame, face_id, timestamp, confidence, success, AU12_r"]
    for i in range(4):
        rows.append(f"{i}, 0, {i * 0.04:.2f}, 0.9, 1, 1.0")
        if i < 2:
            rows.append(f"{i}, 1, {i * 0.04:.2f}, 0.9, 1, 5.0")
    path = tmp_path / "multi.csv"
    path.write_text("\n".join(rows) + "\n")
    result = read_any(path)
    assert values(result, 12).tolist() == pytest.approx([0.2] * 4)
    assert any("2 faces" in w for w in result.report.warnings)


@pytest.mark.parametrize(
    ("edit", "line", "column_name", "message"),
    [
        (lambda rows: rows.__setitem__(2, rows[2].replace("2.50", "abc")), 3, "AU12_r",
         "'abc' is not a number"),
        (lambda rows: rows.__setitem__(6, rows[6][:40]), 7, None, "truncated"),
        (lambda rows: rows.__setitem__(0, rows[0].replace("timestamp", "time")), 1, None, "'timestamp'"),
        (lambda rows: rows.__setitem__(3, rows[3].replace("0.080", "0.010")), 4, "timestamp",
         "does not come after"),
        (lambda rows: rows.__setitem__(5, rows[5].replace(", 5.00, -0.20,", ", 5.00, ,")), 6, "AU45_r",
         "empty"),
    ],
)
def test_bad_files_name_line_and_column(tmp_path: Path, edit, line: int, column_name: str | None,
                                        message: str) -> None:
    rows = SMALL.read_text().splitlines()
    edit(rows)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert err.value.line == line
    assert err.value.column_name == column_name or column_name is None
    assert message in str(err.value) and "bad.csv" in str(err.value)


def test_no_au_columns_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "pose_only.csv"
    path.write_text("frame, timestamp, confidence, success, pose_Rx\n1, 0.0, 0.9, 1, 0.1\n")
    with pytest.raises(ReadError, match="no AU intensity columns"):
        read_any(path, fmt="openface")


@pytest.mark.skipif(not (SHARED / "openface2_demo_25fps.csv").exists(), reason="shared data not present")
def test_real_openface_file() -> None:
    path = SHARED / "openface2_demo_25fps.csv"
    result = read_any(path)
    assert result.report.frames == 490 and result.timeline.fps == 25.0
    header = [c.strip() for c in path.read_text().splitlines()[0].split(",")]
    row = [float(c) for c in path.read_text().splitlines()[100].split(",")]
    assert values(result, 12)[99] == pytest.approx(row[header.index("AU12_r")] / 5)
    assert values(result, 25)[99] == pytest.approx(row[header.index("AU25_r")] / 5)
    assert len({t.au for t in result.timeline.tracks}) == 17 + 10  # 17 AUs, 6 head, 4 eye AUs
