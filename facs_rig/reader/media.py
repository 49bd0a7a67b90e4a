# SPDX-License-Identifier: GPL-3.0-or-later
"""Frames to read: a video, one image, or a folder of images, as RGB arrays with times in seconds.

Everything is decoded by PyAV (FFmpeg) - videos and still images alike - so one library decides
what is a valid file. Videos give their presentation timestamps (correct for variable frame rate)
and are turned upright from their display matrix (phone videos are stored sideways); grey and
palette images come out as RGB. See docs/reader.md for why PyAV rather than OpenCV.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Generator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..core.files import check_input
from ..io.errors import ReadError
from ..io.formats import media_kind
from .landmarker import require

DEFAULT_IMAGE_FPS = 30.0
"""Spacing of a folder's images when no frame rate is given (they hold no times)."""
MAX_BYTES = 1 << 40
"""Videos are streamed, never read whole: the limit only refuses nonsense such as ``/dev/zero``
(special files are refused whatever their size)."""
PREFETCH = 8
"""Frames decoded ahead of the reader (8 × 2.7 MB at 720p)."""


@dataclass(frozen=True)
class Frame:
    time: float
    """Seconds: the presentation timestamp (videos) or index / fps (images)."""
    rgb: np.ndarray
    """(h, w, 3) uint8, upright."""


@dataclass(frozen=True)
class Media:
    """An opened input: what it is and how many frames to expect, before decoding them."""

    path: Path
    kind: Literal["video", "images"]
    files: tuple[Path, ...]
    """The images in reading order, or the one video."""
    expected_frames: int
    """From the container (videos; an estimate when it stores no count) or the image count."""
    fps: float | None
    """The video's average rate, or the rate images are spaced at (None for one image)."""

    def frames(self) -> Generator[Frame, None, None]:
        """Decoded frames in presentation order; raises :class:`ReadError` on a damaged file."""
        if self.kind == "video":
            yield from _video_frames(self)
            return
        step = 1.0 / (self.fps or DEFAULT_IMAGE_FPS)
        for i, file in enumerate(self.files):
            yield Frame(i * step, _decode_image(file))


def open_media(path: str | Path, *, fps: float | None = None) -> Media:
    """Open a video, an image or a folder of images, checked by content (magic bytes).

    ``fps`` spaces a folder's images (default :data:`DEFAULT_IMAGE_FPS`); videos use their own
    timestamps. Raises :class:`ReadError` naming the file when it is not a video or image, or
    holds no frames.
    """
    path = Path(path)
    if not path.is_dir():
        check_input(path, max_bytes=MAX_BYTES, what="video or image")
    kind = media_kind(path)
    if kind is None:
        raise ReadError(path, "not a video or an image (its content is neither MP4/MOV, Matroska/WebM, "
                        "AVI, PNG nor JPEG)")
    if kind == "images":
        files = tuple(_images_in(path)) if path.is_dir() else (path,)
        if not files:
            raise ReadError(path, "the folder holds no PNG or JPEG images")
        rate = (fps or DEFAULT_IMAGE_FPS) if len(files) > 1 else None
        return Media(path, "images", files, len(files), rate)
    av = require("av", "decoding video")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ReadError(path, "the file holds no video stream: zero frames to read")
            stream = container.streams.video[0]
            rate = float(stream.average_rate) if stream.average_rate else None
            expected = stream.frames or _estimate_frames(container, stream, rate)
    except av.error.FFmpegError as exc:
        raise ReadError(path, "cannot be read as a video: it is damaged, truncated or holds no frames "
                        f"({exc.strerror or exc})") from None
    return Media(path, "video", (path,), expected, rate)


def _estimate_frames(container: Any, stream: Any, rate: float | None) -> int:
    """Containers such as WebM store no frame count: the duration times the rate."""
    if stream.duration and stream.time_base and rate:
        return max(1, round(float(stream.duration * stream.time_base) * rate))
    if container.duration and rate:
        return max(1, round(float(container.duration) / 1_000_000 * rate))
    return 0


def _natural_key(path: Path) -> list[Any]:
    """``frame2.png`` before ``frame10.png``: sequences are rarely zero-padded consistently."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _images_in(folder: Path) -> list[Path]:
    images = (p for p in folder.iterdir() if p.is_file() and media_kind(p) == "images")
    return sorted(images, key=_natural_key)


def _decode_image(file: Path) -> np.ndarray:
    av = require("av", "decoding images")
    try:
        with av.open(str(file)) as container:
            frame = next(container.decode(video=0), None)
    except av.error.FFmpegError as exc:
        raise ReadError(file, f"not a readable image: {exc.strerror or exc}") from None
    if frame is None:
        raise ReadError(file, "the image holds no picture")
    return np.asarray(frame.to_ndarray(format="rgb24"))


def upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Undo the display matrix's rotation (degrees counter-clockwise, a multiple of 90)."""
    turns = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


def _video_frames(media: Media) -> Generator[Frame, None, None]:
    av = require("av", "decoding video")
    path = media.path
    decoded = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # frame threads: decoding keeps up with the reader on 2 cores
            start: Fraction | None = None
            for frame in container.decode(stream):
                if frame.pts is None:
                    raise ReadError(path, f"frame {decoded + 1} has no presentation timestamp")
                stamp = frame.pts * stream.time_base
                start = stamp if start is None else start
                decoded += 1
                rgb = upright(frame.to_ndarray(format="rgb24"), frame.rotation)
                yield Frame(float(stamp - start), rgb)
    except av.error.FFmpegError as exc:
        raise ReadError(path, f"the video is damaged after {decoded} frames: {exc.strerror or exc}") from None
    if decoded == 0:
        raise ReadError(path, "the video holds zero frames")
    if media.expected_frames and decoded < 0.9 * media.expected_frames:
        raise ReadError(path, f"the video is truncated: only {decoded} of its {media.expected_frames} "
                        "frames could be decoded")


def prefetched(frames: Generator[Frame, None, None], depth: int = PREFETCH) -> Generator[Frame, None, None]:
    """``frames`` decoded in a background thread, up to ``depth`` ahead.

    FFmpeg decodes and converts to RGB without the GIL and MediaPipe waits on its own graph thread,
    so on two cores decoding the next frames overlaps reading this one. Errors are raised in the
    caller's thread, in order; leaving the loop early stops the decoder."""
    done = object()
    ahead: queue.Queue[Frame | BaseException | object] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: Frame | BaseException | object) -> bool:
        """Queue ``item`` unless the caller left first (then it would wait for room for ever)."""
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def decode() -> None:
        try:
            for frame in frames:
                if not put(frame):
                    return
            put(done)
        except BaseException as exc:  # handed to the caller, who raises it
            put(exc)
        finally:
            frames.close()  # the video file is closed by the thread that reads it

    worker = threading.Thread(target=decode, name="facs_rig-decode", daemon=True)
    worker.start()
    try:
        while (item := ahead.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
