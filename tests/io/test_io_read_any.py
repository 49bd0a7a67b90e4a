# SPDX-License-Identifier: GPL-3.0-or-later
"""The single entry point: detection, report, events on request, valid timelines out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facs_rig.core.errors import FacsError
from facs_rig.core.timeline import from_dict, to_dict
from facs_rig.io import EXTENSIONS, FORMAT_IDS, FORMATS, ReadError, read_any

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DETECTED = {
    "openface_small.csv": "openface",
    "openface_old_build.csv": "openface",
    "pyfeat_v1.csv": "pyfeat",
    "audio2face_small.json": "audio2face",
    "mediapipe_faces.json": "mediapipe",
    "mediapipe_sequence.json": "mediapipe",
    "mediapipe_small.pbtxt": "mediapipe",
    "casme_sheet.csv": "events",
}
REAL = {
    "openface2_demo_25fps.csv": "openface",
    "livelinkface_take_60fps.csv": "livelinkface",
    "pyfeat_v2_fex.csv": "pyfeat",
    "mediapipe_blendshapes_people.json": "mediapipe",
    "mediapipe_portrait_blendshapes.pbtxt": "mediapipe",
}


def test_formats_table_for_file_browsers() -> None:
    assert set(FORMAT_IDS) == {"openface", "pyfeat", "livelinkface", "audio2face", "mediapipe", "events"}
    assert len(set(FORMAT_IDS)) == len(FORMATS)
    assert all(f.label and f.extensions and all(e.startswith(".") for e in f.extensions) for f in FORMATS)
    assert set(EXTENSIONS) == {e for f in FORMATS for e in f.extensions}


@pytest.mark.parametrize(("name", "format_id"), sorted(DETECTED.items()))
def test_every_fixture_is_detected_and_gives_a_valid_timeline(name: str, format_id: str) -> None:
    result = read_any(FIXTURES / name)
    assert result.report.format == format_id
    assert result.report.tracks + result.report.events > 0
    assert result.report.lines()[0].startswith(name)
    reloaded = from_dict(to_dict(result.timeline))
    assert len(reloaded.tracks) == len(result.timeline.tracks)
    assert len(reloaded.events) == len(result.timeline.events)


def test_report_counts_frames_and_gaps() -> None:
    report = read_any(FIXTURES / "openface_small.csv").report
    assert (report.frames, report.gap_frames) == (6, 2)
    assert report.duration == pytest.approx(0.2)
    assert report.solver_residual is None and report.segmentation_rms is None
    assert any("gaps" in w for w in report.warnings)
    assert report.as_dict()["format"] == "openface"


def test_events_on_request_replace_dense_tracks(tmp_path: Path) -> None:
    times = np.arange(0, 4, 0.04)
    smile = 5 * np.interp(times, [0, 1, 1.5, 2.5, 3, 4], [0, 0, 0.6, 0.6, 0, 0])
    rows = ["frame, timestamp, confidence, success, AU12_r, AU04_r"]
    rows += [f"{i}, {t:.2f}, 0.95, 1, {r:.3f}, 0.1"
             for i, (t, r) in enumerate(zip(times, smile, strict=True))]
    path = tmp_path / "smile.csv"
    path.write_text("\n".join(rows) + "\n")
    dense = read_any(path)
    compact = read_any(path, events=True)
    assert compact.timeline.tracks == []
    [event] = compact.timeline.events  # AU 4 at 0.02 is below the threshold: no movement
    assert (event.au, event.side) == (12, "both")
    assert event.intensity == pytest.approx(0.6, abs=0.03)
    assert compact.report.segmentation_rms < 0.03
    assert len(dense.timeline.tracks) == 2


def test_a_single_frame_is_not_cut_into_events() -> None:
    result = read_any(FIXTURES / "mediapipe_small.pbtxt", events=True)
    assert result.timeline.tracks and not result.timeline.events
    assert any("single frame" in w for w in result.report.warnings)


@pytest.mark.parametrize(
    ("path", "kwargs", "message"),
    [
        (FIXTURES / "openface_small.csv", {"fmt": "livelinkface"}, "'Timecode'"),
        (FIXTURES / "openface_small.csv", {"fmt": "kinect"}, "unknown import format"),
        (FIXTURES / "openface_small.csv", {"min_confidence": 2.0}, "min_confidence"),
        (FIXTURES / "missing.csv", {}, "cannot read"),
    ],
)
def test_wrong_requests_are_facs_errors(path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(FacsError, match=message):
        read_any(path, **kwargs)


def test_unknown_csv_layout(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("month,revenue\njan,3\n")
    with pytest.raises(ReadError, match="not a CSV layout"):
        read_any(path)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data not present")
@pytest.mark.parametrize(("name", "format_id"), sorted(REAL.items()))
def test_real_files_are_detected(name: str, format_id: str) -> None:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{name} not present")
    result = read_any(path)
    assert result.report.format == format_id
    assert all(np.all(np.diff(t.times) > 0) for t in result.timeline.tracks)
    compact = read_any(path, events=True)
    if result.report.frames > 1:
        assert compact.report.segmentation_rms < 0.08
        assert len(compact.timeline.events) * 5 < sum(t.values.size for t in result.timeline.tracks)
