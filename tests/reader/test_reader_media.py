# SPDX-License-Identifier: GPL-3.0-or-later
"""Inputs other than a plain rendered video: hidden faces, variable frame rate, rotated storage,
image folders, grey images, a photo of a real face, several faces."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import skimage.data
import skimage.io

from facs_rig.core.timeline import load
from facs_rig.io.blendshapes import solve_shapes
from facs_rig.io.formats import media_kind
from facs_rig.reader import (
    BLENDSHAPE_NAMES,
    FaceReading,
    Frame,
    Landmarker,
    follow,
    open_media,
    read_image,
    read_media,
)
from tests.reader.support import frame_at, write_video

GREY = 90
HIDDEN = range(20, 26)
"""Frames of the edited video where the head is covered by a grey card."""


def cut_times(count: int) -> list[int]:
    """Variable frame rate: steps of 33, 50 and 100 ms in turn."""
    return [int(t) for t in np.cumsum([0] + [(33, 50, 100)[i % 3] for i in range(count - 1)])]


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory, readback_frames: list[Frame]) -> tuple[Path, list[int]]:
    """The first 40 rendered frames with a few hidden, at irregular times, stored turned 90°
    clockwise with a display matrix that turns them back."""
    frames = [f.rgb.copy() for f in readback_frames[:40]]
    for i in HIDDEN:
        frames[i][:] = GREY
    times = cut_times(len(frames))
    stored = [np.rot90(f, -1) for f in frames]
    return write_video(tmp_path_factory.mktemp("edited") / "edited.mov", stored, times, rotation=90), times


def test_hidden_faces_are_gaps_and_times_are_timestamps(edited: tuple[Path, list[int]]) -> None:
    path, times_ms = edited
    capture = read_media(path)
    np.testing.assert_allclose(capture.times, np.array(times_ms) / 1000, atol=1e-6)
    assert capture.valid is not None
    assert list(np.flatnonzero(~capture.valid)) == list(HIDDEN)
    assert capture.shape_weights is not None
    assert np.isnan(capture.shape_weights[list(HIDDEN)]).all()
    assert not np.isnan(capture.shape_weights[capture.valid]).any()
    assert any("6 of 40 frames without a face" in w for w in capture.warnings)


def test_gaps_stay_gaps_in_the_written_timeline(edited: tuple[Path, list[int]], tmp_path: Path) -> None:
    from facs_rig.cli import main

    out = tmp_path / "edited.json"
    assert main(["convert", str(edited[0]), "-o", str(out), "-q"]) == 0
    timeline = load(out)
    for track in timeline.tracks:
        assert np.isnan(track.values[list(HIDDEN)]).all(), f"AU{track.au}{track.side} is not a gap"
    assert np.nanmax(au_value_of(timeline.tracks, 1)) > 0.3  # the brows rise in the first second


def au_value_of(tracks: list, au: int) -> np.ndarray:  # type: ignore[type-arg]
    return np.mean([t.values for t in tracks if t.au == au], axis=0)


def test_rotated_video_is_read_upright(edited: tuple[Path, list[int]], readback_frames: list[Frame]) -> None:
    with av.open(str(edited[0])) as container:
        stored = next(container.decode(video=0))
        assert stored.rotation == 90
    first = next(open_media(edited[0]).frames()).rgb.astype(float)
    original = readback_frames[0].rgb.astype(float)
    upright = np.abs(first - original).mean()
    assert upright < 4  # only H.264's loss
    assert np.abs(np.rot90(first, -1) - original).mean() > 4 * upright


def test_folder_of_images_in_natural_order(tmp_path: Path, readback_frames: list[Frame]) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    picks = {"shot2.png": 1.8, "shot10.jpg": 0.0, "shot3.png": None}  # 3: an empty grey card
    for name, seconds in picks.items():
        card = np.full((256, 256, 3), GREY, np.uint8)
        rgb = card if seconds is None else frame_at(readback_frames, seconds)
        skimage.io.imsave(folder / name, rgb, check_contrast=False)
    (folder / "notes.txt").write_text("not an image")
    capture = read_media(folder, fps=10)
    assert media_kind(folder) == "images"
    np.testing.assert_allclose(capture.times, [0.0, 0.1, 0.2])
    assert capture.valid is not None and list(capture.valid) == [True, False, True]
    smile = capture.shape_weights[:, BLENDSHAPE_NAMES.index("mouthSmileLeft")]  # type: ignore[index]
    assert smile[0] > 0.5
    assert smile[2] < 0.2


def test_grey_image_is_read_as_rgb(tmp_path: Path, readback_frames: list[Frame]) -> None:
    grey = np.round(frame_at(readback_frames, 1.8).mean(axis=2)).astype(np.uint8)
    path = tmp_path / "grey.png"
    skimage.io.imsave(path, grey, check_contrast=False)
    with av.open(str(path)) as container:
        assert container.streams.video[0].format.name == "gray"
    capture = read_media(path)
    assert capture.shape_weights is not None
    assert capture.shape_weights[0, BLENDSHAPE_NAMES.index("mouthSmileRight")] > 0.5
    reading = read_image(grey[:, :, None])  # a 1-channel array too
    assert reading is not None and reading.blendshapes[BLENDSHAPE_NAMES.index("mouthSmileLeft")] > 0.5


def test_astronaut_photo_reads_as_a_smile(tmp_path: Path) -> None:
    photo = tmp_path / "astronaut.jpg"
    skimage.io.imsave(photo, skimage.data.astronaut())
    capture = read_media(photo)
    assert capture.shape_weights is not None and capture.frames == 1
    au = solve_shapes(capture.shape_names, capture.shape_weights).tracks
    assert au[(12, "L")][0] > 0.5 and au[(12, "R")][0] > 0.5


def test_several_faces_pick_by_size_and_position(readback_frames: list[Frame]) -> None:
    canvas = np.full((512, 512, 3), 64, np.uint8)
    canvas[:, :256] = skimage.data.astronaut()[:, 110:366]  # smiling, on the left
    canvas[128:384, 256:] = frame_at(readback_frames, 0.0)  # neutral and a little larger, on the right
    largest = read_image(canvas)
    assert largest is not None and largest.centre[0] > 256
    with Landmarker(faces=4) as landmarker:
        faces = landmarker.read(canvas)
    assert len(faces) == 2
    ((_, first),) = follow([(0, faces)], 1)
    assert first is not None and first.centre[0] < 256
    assert first.blendshapes[BLENDSHAPE_NAMES.index("mouthSmileLeft")] > 0.4


def reading_at(x: float, y: float, size: float = 40.0) -> FaceReading:
    """A face whose landmarks span a ``size``-pixel square centred on (x, y) of a 400×300 image."""
    corners = np.array([[x - size / 2, y - size / 2, 0], [x + size / 2, y + size / 2, 0]]) / (400, 300, 1)
    return FaceReading(np.zeros(len(BLENDSHAPE_NAMES)), corners, np.eye(4), 400, 300)


def test_follow_tracks_by_position_not_index() -> None:
    a0, b0 = reading_at(100, 150), reading_at(300, 150)
    a1, b1 = reading_at(110, 150), reading_at(290, 150)
    a3 = reading_at(115, 155)
    frames = [(0, [a0, b0]), (1, [b1, a1]), (2, [b1]), (3, [a3, b1]), (4, [reading_at(30, 40)])]
    assert [face for _, face in follow(frames, 1)] == [a0, a1, None, a3, None]
    assert [face for _, face in follow(frames, 2)] == [b0, b1, b1, b1, None]
    assert [face for _, face in follow([(0, []), (1, [a0, reading_at(200, 150, 80)])])][1].centre[0] == 200
