# SPDX-License-Identifier: GPL-3.0-or-later
"""Live Link Face CSV: take rate from the timecode, columns by name, solved AUs on the right side."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from facs_rig.core.mapping import linear_shape_matrix, load_preset
from facs_rig.io import ReadError, read_any
from facs_rig.io.angles import EYE_PITCH_FULL_DEG, EYE_YAW_FULL_DEG, HEAD_YAW_FULL_DEG

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
# The app's own column order (JawRight before JawLeft, MouthRight before MouthLeft).
SHAPES = [
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight", "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose",
    "MouthFunnel", "MouthPucker", "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight",
    "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft",
    "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper",
    "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft",
    "MouthUpperUpRight", "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft",
    "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight",
    "TongueOut",
]
ROTATIONS = ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw",
             "RightEyePitch", "RightEyeRoll"]


def shapes_from_aus(aus: dict[str, float]) -> dict[str, float]:
    """Blendshape weights the arkit52 mapping makes from AU control values (the forward model)."""
    controls, shapes, W = linear_shape_matrix(load_preset("arkit52"))
    x = np.array([aus.get(c, 0.0) for c in controls])
    return {s[0].upper() + s[1:]: float(v) for s, v in zip(shapes, W @ x, strict=True)}


def write_take(path: Path, *, rate: int, frames: int, first: tuple[int, int, int, int] = (0, 32, 9, 50),
               count_column: str = "BlendShapeCount", shapes: dict[str, float] | None = None,
               rotations: dict[str, float] | None = None, subframes: bool = True) -> Path:
    h, m, s, f = first
    header = ["Timecode", count_column, *SHAPES, *ROTATIONS]
    rows = [",".join(header)]
    for i in range(frames):
        total = f + i
        sec, frame = s + total // rate, total % rate
        sub = f".{(i * 7) % 1000:03d}" if subframes else ""
        cells = [f"{h:02d}:{m:02d}:{sec:02d}:{frame:02d}{sub}", "61"]
        cells += [f"{(shapes or {}).get(n, 0.0):.6f}" for n in SHAPES]
        cells += [f"{(rotations or {}).get(n, 0.0):.6f}" for n in ROTATIONS]
        rows.append(",".join(cells))
    path.write_text("\n".join(rows) + "\n")
    return path


def track(result, au: int, side: str = "both") -> np.ndarray:
    [found] = [t for t in result.timeline.tracks if (t.au, t.side) == (au, side)]
    return found.values


def test_sixty_fps_take_has_strictly_increasing_times(tmp_path: Path) -> None:
    result = read_any(write_take(tmp_path / "take.csv", rate=60, frames=90, subframes=False,
                                 shapes={"JawOpen": 0.3}))
    times = result.timeline.tracks[0].times
    assert np.all(np.diff(times) > 0)
    assert np.allclose(np.diff(times), 1 / 60)
    assert result.timeline.meta["import"]["timecode_rate"] == 60
    assert result.timeline.fps == 60.0


def test_thirty_fps_take_and_other_count_spelling(tmp_path: Path) -> None:
    path = write_take(tmp_path / "take30.csv", rate=30, frames=45, count_column="BlendshapeCount",
                      subframes=False, shapes={"JawOpen": 0.3})
    result = read_any(path)
    assert result.report.format == "livelinkface"
    assert np.allclose(np.diff(result.timeline.tracks[0].times), 1 / 30)


def test_solved_aus_land_on_the_right_side(tmp_path: Path) -> None:
    aus = {"AU12_L": 0.6, "AU02_R": 0.7, "AU30_L": 0.5, "AU04_L": 0.3, "AU04_R": 0.3}
    result = read_any(write_take(tmp_path / "smirk.csv", rate=60, frames=3, shapes=shapes_from_aus(aus)))
    assert track(result, 12, "L")[1] == pytest.approx(0.6, abs=0.02)
    assert track(result, 2, "R")[1] == pytest.approx(0.7, abs=0.02)
    assert track(result, 30, "L")[1] == pytest.approx(0.5, abs=0.02)  # JawLeft, written after JawRight
    assert track(result, 4, "R")[1] == pytest.approx(0.3, abs=0.02)
    sides = {(t.au, t.side) for t in result.timeline.tracks}
    for absent in ((12, "R"), (2, "L"), (30, "R")):
        assert absent not in sides or np.nanmax(track(result, *absent)) < 0.02
    assert result.report.solver_residual < 0.01


def test_negative_weights_are_clamped(tmp_path: Path) -> None:
    result = read_any(write_take(tmp_path / "neg.csv", rate=60, frames=3, shapes={"JawOpen": -0.04}))
    assert any("negative" in w for w in result.report.warnings)
    assert all(np.nanmin(t.values) >= 0 for t in result.timeline.tracks)


def test_eye_and_head_rotations_become_position_aus(tmp_path: Path) -> None:
    rotations = {"LeftEyeYaw": 0.3, "RightEyeYaw": 0.3, "LeftEyePitch": -0.2, "RightEyePitch": -0.2,
                 "HeadYaw": -0.2}
    result = read_any(write_take(tmp_path / "look.csv", rate=60, frames=3, rotations=rotations))
    # +yaw looks to the subject's right
    assert track(result, 62)[0] == pytest.approx(math.degrees(0.3) / EYE_YAW_FULL_DEG)
    assert track(result, 61)[0] == 0.0
    assert track(result, 63)[0] == pytest.approx(math.degrees(0.2) / EYE_PITCH_FULL_DEG)  # -pitch: up
    assert track(result, 51)[0] == pytest.approx(math.degrees(0.2) / HEAD_YAW_FULL_DEG)  # -yaw: left
    assert any("HeadPitch is 0" in w for w in result.report.warnings)
    assert 53 not in {t.au for t in result.timeline.tracks}


@pytest.mark.parametrize(
    ("row", "timecode", "message"),
    [(2, "00:32:xx:01.000", "not a timecode"), (3, "00:32:09:10.000", "runs backwards")],
)
def test_bad_timecodes_name_the_line(tmp_path: Path, row: int, timecode: str, message: str) -> None:
    path = write_take(tmp_path / "bad.csv", rate=60, frames=4)
    lines = path.read_text().splitlines()
    lines[row] = timecode + lines[row][lines[row].index(","):]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert (err.value.line, err.value.column, err.value.column_name) == (row + 1, 1, "Timecode")
    assert message in str(err.value)


def test_repeated_timecodes_are_dropped(tmp_path: Path) -> None:
    path = write_take(tmp_path / "dup.csv", rate=60, frames=5, shapes={"JawOpen": 0.3})
    lines = path.read_text().splitlines()
    lines.insert(3, lines[2])
    path.write_text("\n".join(lines) + "\n")
    result = read_any(path)
    assert result.report.frames == 5
    assert np.all(np.diff(result.timeline.tracks[0].times) > 0)
    assert any("repeat the previous timecode" in w for w in result.report.warnings)


def test_text_in_a_weight_cell(tmp_path: Path) -> None:
    path = write_take(tmp_path / "bad.csv", rate=60, frames=4)
    lines = path.read_text().splitlines()
    cells = lines[2].split(",")
    cells[2 + SHAPES.index("JawOpen")] = "0.1x"
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert (err.value.line, err.value.column_name) == (3, "JawOpen")


@pytest.mark.skipif(not (SHARED / "livelinkface_take_60fps.csv").exists(), reason="shared data not present")
def test_real_sixty_fps_take() -> None:
    result = read_any(SHARED / "livelinkface_take_60fps.csv")
    times = result.timeline.tracks[0].times
    assert result.report.frames == 328
    assert np.all(np.diff(times) > 0)
    assert result.timeline.meta["import"]["timecode_rate"] == 60
    assert times[-1] == pytest.approx(327 * 1.001 / 60, rel=0.01)
    assert result.report.solver_residual < 0.1
    # the subject looks down-left in this take: eye pitch is positive (down) most of the time
    assert np.nanmean(track(result, 64)) > np.nanmean(track(result, 63))
