# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile Audio2Face and MediaPipe JSON: read through the shared core checker, so numbers,
encodings and nesting get an error naming the file and the JSON path, never a traceback, and the
file is left as it was."""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pytest

from facs_rig.io import ReadError, read_any

FIXTURES = Path(__file__).parent / "fixtures"


def _audio2face(**changes: Any) -> str:
    data = json.loads((FIXTURES / "audio2face_small.json").read_text())
    return json.dumps(data | changes)


@pytest.mark.parametrize(("text", "where", "message"), [
    (_audio2face(exportFps=0), "exportFps", "0 must be positive"),
    (_audio2face(exportFps=1e308), "exportFps", "1e+308 fps is outside the frame rates Blender can play"),
    (_audio2face(exportFps=1e-300), "exportFps", "1e-300 fps is outside the frame rates Blender can play"),
    (_audio2face(exportFps="30"), "exportFps", "must be a number, got a string"),
    (_audio2face(exportFps=True), "exportFps", "must be a number, got a boolean"),
    (_audio2face(exportFps=10**350), "exportFps", "is too large"),
    (_audio2face(numFrames="x"), "numFrames", "'x' is not a number"),
    (_audio2face(weightMat={}), "weightMat", "must be an array, got an object"),
])
def test_audio2face_numbers(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = tmp_path / "a2f.json"
    path.write_text(text)
    with pytest.raises(ReadError) as err:
        read_any(path, fmt="audio2face")
    assert err.value.json_path == where and err.value.reason.startswith(message), str(err.value)
    assert path.read_text() == text


def test_audio2face_literal_overflow_and_nan_weights_are_gaps_not_crashes(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "audio2face_small.json").read_text())
    text = json.dumps(data).replace(str(data["weightMat"][1][2]), "1e999", 1)
    path = tmp_path / "a2f.json"
    path.write_text(text)
    assert read_any(path, fmt="audio2face").report.format == "audio2face"


@pytest.mark.parametrize(("text", "message"), [
    ('{"exportFps": 30, "facsNames": [], "weightMat": ' + "[" * 5000 + "]" * 5000 + "}",
     "invalid JSON: nested more than 64 levels deep"),
    ('{"exportFps": ' + "9" * 5000 + ', "facsNames": [], "weightMat": []}',
     "invalid JSON: an integer of 5000"),
])
def test_bad_json_documents_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ReadError) as err:
        read_any(path, fmt="audio2face")
    assert str(err.value).startswith(f"bad.json: {message}"), str(err.value)


@pytest.mark.parametrize(("score", "message"), [
    ('"abc"', "'abc' is not a number (expected a number or a numeric string)"),
    ('"NaN"', "is NaN"),
    ("9" * 350, "is too large"),
    ("true", "must be a number, got a boolean"),
])
def test_mediapipe_scores(tmp_path: Path, score: str, message: str) -> None:
    text = (FIXTURES / "mediapipe_faces.json").read_text().replace('"score": "0.6"', f'"score": {score}')
    path = tmp_path / "mp.json"
    path.write_text(text)
    with pytest.raises(ReadError) as err:
        read_any(path, fmt="mediapipe")
    assert err.value.json_path is not None and err.value.json_path.endswith("[1].score")
    assert err.value.reason.startswith(message), str(err.value)


def test_json_exports_share_the_timeline_encodings(tmp_path: Path) -> None:
    text = (FIXTURES / "mediapipe_faces.json").read_text()
    path = tmp_path / "mp.json"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert read_any(path, fmt="mediapipe").report.format == "mediapipe"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le") + b"!")
    with pytest.raises(ReadError, match="UTF-16 text with an odd number of bytes"):
        read_any(path, fmt="mediapipe")
    path.write_bytes(text.replace("browOuterUpLeft", "br\xf6w").encode("latin-1"))
    with pytest.raises(ReadError, match="byte 0xf6 is not UTF-8 text"):
        read_any(path, fmt="mediapipe")
