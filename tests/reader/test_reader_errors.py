# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad inputs to ``convert``: one clear error naming the file, exit status 2, and no file written
or changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
import skimage.io

from facs_rig.cli import main
from facs_rig.reader import ReaderUnavailable, read_media
from tests.reader.support import write_video


def remux_faststart(source: Path, target: Path) -> Path:
    """The same packets with the index (moov) first, so a cut file still opens."""
    with av.open(str(source)) as inp, av.open(str(target), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    return target


def cut(source: Path, target: Path, fraction: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def zero_frame_video(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        out.start_encoding()  # writes the header: a valid Matroska file with an empty video stream
    return path


def grey(height: int = 128, width: int = 128) -> np.ndarray:
    return np.full((height, width, 3), 90, np.uint8)


def text_file(name: str, text: str) -> Callable[[Path, Path], Path]:
    def make(tmp: Path, _video: Path) -> Path:
        (tmp / name).write_text(text)
        return tmp / name

    return make


def grey_image(tmp: Path, _video: Path) -> Path:
    skimage.io.imsave(tmp / "grey.png", grey()[:, :, 0], check_contrast=False)  # 1 channel
    return tmp / "grey.png"


def empty_folder(tmp: Path, _video: Path) -> Path:
    (tmp / "shots").mkdir()
    (tmp / "shots" / "readme.txt").write_text("no images here")
    return tmp / "shots"


GREY_TIMES = range(0, 150, 30)
BAD: dict[str, tuple[str, Callable[[Path, Path], Path], str]] = {
    "not_a_video": ("clip.mp4", text_file("clip.mp4", "frame,AU12_r\n0,1.0\n"), "not a video or an image"),
    "text_named_png": ("face.png", text_file("face.png", "not a picture"), "not a video or an image"),
    "cut_index_last": ("cut.mp4", lambda tmp, video: cut(video, tmp / "cut.mp4", 0.5),
                       "damaged, truncated or holds no frames"),
    "cut_index_first": ("cut_fast.mp4", lambda tmp, video: cut(remux_faststart(video, tmp / "whole.mp4"),
                                                              tmp / "cut_fast.mp4", 0.5), "truncated: only"),
    "zero_frames": ("zero.mkv", lambda tmp, _: zero_frame_video(tmp / "zero.mkv"),
                    "damaged, truncated or holds no frames"),
    "no_face_video": ("grey.mp4", lambda tmp, _: write_video(tmp / "grey.mp4", [grey()] * 5, GREY_TIMES),
                      "no face found in any of its 5 frames"),
    "no_face_grey_image": ("grey.png", grey_image, "no face found in any of its 1 frames"),
    "empty_folder": ("shots", empty_folder, "the folder holds no PNG or JPEG images"),
    "missing": ("gone.mov", lambda tmp, _: tmp / "gone.mov", "video or image file not found"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_named_and_nothing_is_written(case: str, tmp_path: Path, readback_video: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    name, make, message = BAD[case]
    bad = make(tmp_path, readback_video)
    existing = tmp_path / "existing.json"
    existing.write_text("keep me")
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    for target in (existing, tmp_path / "fresh.json"):
        assert main(["convert", str(bad), "-o", str(target), "-q"]) == 2
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before
    assert existing.read_text() == "keep me"
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error") or name in line]
    assert errors and all(name in line and message in line for line in errors[-2:]), err


def test_missing_model_is_named(tmp_path: Path, readback_video: Path) -> None:
    missing = tmp_path / "face_landmarker.task"
    with pytest.raises(ReaderUnavailable, match=f"{missing}: the face reader's model is missing"):
        read_media(readback_video, model=missing)


def test_progress_on_stderr(tmp_path: Path, readback_video: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "read.json"
    assert main(["convert", str(readback_video), "-o", str(out), "--face", "1"]) == 0
    captured = capsys.readouterr()
    last = [line for line in captured.err.splitlines() if line.startswith("read:")][-1]
    assert last.startswith("read: 175/175 frames, ") and "frames/s" in last and "in all" in last
    assert "Video (built-in face reader)" in captured.out and "blendshape fit residual" in captured.out
    with pytest.raises(SystemExit):
        main(["convert", str(readback_video), "-o", str(out), "--face", "first"])
    assert "--face must be 'largest' or a face number" in capsys.readouterr().err
