# SPDX-License-Identifier: GPL-3.0-or-later
"""Render → read → compare: the default head's known AUs come back from the reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facs_rig.io.blendshapes import solve_shapes
from facs_rig.io.importer import ImportResult, build
from facs_rig.reader import BLENDSHAPE_NAMES, Frame, read_image, read_media
from tests.reader.support import au_value, frame_at, intended


def solved(rgb: np.ndarray) -> dict[tuple[int, str], float]:
    reading = read_image(rgb)
    assert reading is not None
    tracks = solve_shapes(list(BLENDSHAPE_NAMES), reading.blendshapes[None]).tracks
    return {key: float(values[0]) for key, values in tracks.items()}


@pytest.mark.parametrize("au", [12, 26, (1, 2), 43])
def test_tracks_follow_the_rendered_ones(readback: ImportResult, au: int | tuple[int, int]) -> None:
    aus = au if isinstance(au, tuple) else (au,)
    times = readback.timeline.tracks[0].times
    read = np.mean([au_value(readback, a) for a in aus], axis=0)
    r = np.corrcoef(read, intended(times, aus[0]))[0, 1]
    assert r >= 0.9, f"AU{'+'.join(map(str, aus))}: r = {r:.3f}"


def test_times_are_the_presentation_timestamps(readback: ImportResult) -> None:
    times = readback.timeline.tracks[0].times
    assert len(times) == readback.report.frames == 175
    np.testing.assert_allclose(times, np.arange(175) / 15, atol=1e-3)
    assert readback.report.fps == 15
    assert readback.report.gap_frames == 0


def test_fit_residual_is_reported(readback: ImportResult) -> None:
    rms, worst = readback.report.solver_residual, readback.report.solver_residual_max
    assert rms is not None and worst is not None
    assert 0 < rms <= worst < 0.15
    assert any("residual" in line for line in readback.report.lines())


def test_smile_reads_as_au12(readback_frames: list[Frame]) -> None:
    smile, neutral = solved(frame_at(readback_frames, 1.8)), solved(frame_at(readback_frames, 0.0))
    for side in "LR":
        assert smile[(12, side)] > 0.6
        assert neutral[(12, side)] < 0.15
    face = {k: v for k, v in smile.items() if k[0] < 50}
    assert max(face, key=face.__getitem__)[0] == 12


def test_one_sided_r12_reads_on_the_subjects_right(readback_frames: list[Frame]) -> None:
    smirk = solved(frame_at(readback_frames, 8.4))
    assert smirk[(12, "R")] > 0.4
    assert smirk[(12, "R")] > 2 * smirk[(12, "L")]


def test_head_turns_read_in_the_right_direction(readback: ImportResult) -> None:
    times = readback.timeline.tracks[0].times
    left, right = (np.abs(times - 9.6) < 0.2), (np.abs(times - 11.0) < 0.2)
    au51, au52 = au_value(readback, 51), au_value(readback, 52)
    assert au51[left].min() > 0.5 and au52[left].max() == 0
    assert au52[right].min() > 0.5 and au51[right].max() == 0


def test_events_and_raw_blendshapes(readback_video: Path) -> None:
    result = build(read_media(readback_video, blendshapes=True), events=True)
    assert not result.timeline.tracks
    assert {12, 26, 43, 51, 52} <= {e.au for e in result.timeline.events}
    assert result.report.segmentation_rms is not None and result.report.segmentation_rms < 0.1
    raw = result.timeline.meta["import"]["blendshapes"]
    assert raw["names"] == list(BLENDSHAPE_NAMES) and len(raw["scores"]) == len(raw["times"]) == 175
    smile = raw["scores"][round(1.8 * 15)]
    assert smile[BLENDSHAPE_NAMES.index("mouthSmileLeft")] > 0.5
