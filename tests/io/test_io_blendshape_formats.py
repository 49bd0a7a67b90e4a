# SPDX-License-Identifier: GPL-3.0-or-later
"""Audio2Face JSON and MediaPipe blendshapes (JSON dumps and the .pbtxt text form)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facs_rig.io import ReadError, read_any

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def track(result, au: int, side: str = "both") -> np.ndarray:
    [found] = [t for t in result.timeline.tracks if (t.au, t.side) == (au, side)]
    return found.values


def test_audio2face_export() -> None:
    result = read_any(FIXTURES / "audio2face_small.json")
    assert result.report.format == "audio2face"
    assert result.timeline.fps == 30.0
    assert result.timeline.tracks[0].times.tolist() == pytest.approx([0.0, 1 / 30, 2 / 30])
    assert track(result, 12, "L")[1:].tolist() == pytest.approx([0.5, 1.0], abs=0.02)
    assert track(result, 12, "R")[1:].tolist() == pytest.approx([0.25, 1.0], abs=0.02)
    # a closed lid is read as AU 43, not as a blink or wink (which move the same shape)
    assert track(result, 43, "L")[1] == pytest.approx(1.0, abs=0.02)
    blinks = [t for t in result.timeline.tracks if t.au in (45, 46)]
    assert all(np.nanmax(t.values) < 0.02 for t in blinks)


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (lambda d: d.__setitem__("numFrames", 5), "numFrames", "numFrames is 5 but the file has 3"),
        (lambda d: d["weightMat"][1].__setitem__(2, "x"), "weightMat[1][2]", "expected a number"),
        (lambda d: d["weightMat"].__setitem__(2, [0.1]), "weightMat[2]", "1 weights but facsNames has 4"),
        (lambda d: d.pop("exportFps"), "$", "missing key 'exportFps'"),
    ],
)
def test_audio2face_errors_give_the_json_path(tmp_path: Path, change, where: str, message: str) -> None:
    data = json.loads((FIXTURES / "audio2face_small.json").read_text())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ReadError) as err:
        read_any(path, fmt="audio2face")
    assert err.value.json_path == where
    assert message in str(err.value)


def test_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text((FIXTURES / "audio2face_small.json").read_text()[:200])
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert err.value.line is not None and err.value.column is not None
    assert "invalid JSON" in str(err.value)


def test_mediapipe_faces_with_string_scores() -> None:
    result = read_any(FIXTURES / "mediapipe_faces.json")
    assert result.report.format == "mediapipe"
    assert track(result, 2, "L")[0] == pytest.approx(0.6, abs=0.01)
    assert track(result, 2, "R")[0] == pytest.approx(0.1, abs=0.01)
    assert track(result, 43, "R")[0] == pytest.approx(0.9, abs=0.01)
    assert any("several faces" in w for w in result.report.warnings)


def test_mediapipe_sequence_with_timestamps_and_a_missing_face() -> None:
    result = read_any(FIXTURES / "mediapipe_sequence.json")
    left = next(t for t in result.timeline.tracks if (t.au, t.side) == (12, "L"))
    assert left.times.tolist() == pytest.approx([0.0, 0.04, 0.08])
    assert np.isnan(left.values[1])
    assert left.values[2] == pytest.approx(0.8, abs=0.01)
    assert track(result, 12, "R")[2] == pytest.approx(0.4, abs=0.01)
    assert result.report.gap_frames == 1


def test_mediapipe_text_proto() -> None:
    result = read_any(FIXTURES / "mediapipe_small.pbtxt")
    assert track(result, 30, "L")[0] == pytest.approx(0.75, abs=0.01)
    assert track(result, 34)[0] == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('classification {\n  score: abc\n  label: "jawOpen"\n}\n', 2, 10, "'abc' is not a number"),
        ('classification {\n  score: 0.5\n  label: "jawOpen"\n', 4, None, "never closed"),
        ('classification {\n  score 0.5 }\n}\n', 3, 1, "unexpected '}'"),
        ("classification {\n  score: 0.5 $\n}\n", 2, 14, "unexpected character '$'"),
    ],
)
def test_bad_text_proto_gives_line_and_column(tmp_path: Path, text: str, line: int, column: int | None,
                                              message: str) -> None:
    path = tmp_path / "bad.pbtxt"
    path.write_text(text)
    with pytest.raises(ReadError) as err:
        read_any(path)
    assert (err.value.line, err.value.column) == (line, column)
    assert message in str(err.value)


def test_json_without_blendshapes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": [1, 2, 3]}')
    with pytest.raises(ReadError, match="neither an Audio2Face export"):
        read_any(path)


@pytest.mark.skipif(not (SHARED / "mediapipe_portrait_blendshapes.pbtxt").exists(),
                    reason="shared data not present")
def test_real_mediapipe_files_agree() -> None:
    """The labeler's JSON and MediaPipe's own expected .pbtxt describe similar portraits."""
    text = read_any(SHARED / "mediapipe_portrait_blendshapes.pbtxt")
    people = read_any(SHARED / "mediapipe_blendshapes_people.json")
    for result in (text, people):
        assert result.report.frames == 1
        assert result.report.solver_residual < 0.1
        assert track(result, 4, "L")[0] > 0.5  # browDownLeft about 0.8 in both
    smile = (SHARED / "mediapipe_portrait_blendshapes.pbtxt").read_text()
    assert "mouthSmileRight" in smile and track(text, 12, "R")[0] > 0.5
