# SPDX-License-Identifier: GPL-3.0-or-later
"""A video or images, read face by face, as a :class:`..io.capture.Capture` for the importers.

The reader's 52 ARKit scores go to the same bounded blendshape → AU solve as Live Link Face and
MediaPipe dumps (gaze included: the ``eyeLook*`` scores solve to AU 61–64, see docs/reader.md for
why those rather than the iris landmarks); head pose from the transformation matrix becomes AU
51–58 with the angle conventions of :mod:`..io.angles`. AU 6, 7, 9 and 28, which the scores cannot
show or cannot tell apart, are measured on the landmarks instead (:mod:`.geometry`). Frames
without the face are gaps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

from ..io.angles import HEAD_AXES, angle_tracks
from ..io.capture import Capture, blendshape_meta, estimate_fps, first_not_increasing
from ..io.errors import ReadError
from .geometry import MEASURED_TEXT, MIN_BASELINE_FRAMES, measured_aus
from .geometry import SOURCE as GEOMETRY_SOURCE
from .landmarker import BLENDSHAPE_NAMES, MODEL, FaceReading, Landmarker
from .media import Frame, Media, open_media, prefetched
from .select import FaceChoice, follow

HEAD_SOURCE = "head pose (face reader)"
SEARCHED_FACES = 4
"""Faces the model looks for per frame, so ``largest`` can choose and tracking can tell people apart."""
DEPTH_FULL = 0.15
"""AU 57 (forward) / 58 (back) reach full intensity when the head is this fraction nearer to /
further from the camera than its median distance over the take (an engineering default)."""

ProgressCallback = Callable[[int, int], None]
"""Called after each frame with (frames read, frames expected); raising from it cancels."""


def head_angles(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Yaw (+ = turned to the subject's right), pitch (+ = down) and roll (+ = tilted to the
    subject's right), in radians: the order and signs of :data:`..io.angles.HEAD_AXES`. From
    (n, 4, 4) face-to-camera matrices (camera: x right, y up, z towards the viewer; the face model
    looks along its +z). Signs checked on renders of AU 51, 53 and 55 (tests/reader)."""
    forward, up = matrices[:, :3, 2], matrices[:, :3, 1]
    yaw = np.arctan2(-forward[:, 0], forward[:, 2])
    pitch = np.arctan2(-forward[:, 1], np.hypot(forward[:, 0], forward[:, 2]))
    roll = np.arctan2(-up[:, 0], up[:, 1])
    return yaw, pitch, roll


def head_tracks(matrices: np.ndarray) -> dict[int, np.ndarray]:
    """AU 51–58 intensities from (n, 4, 4) matrices, NaN rows staying NaN."""
    tracks = {au: values for angle, axis in zip(head_angles(matrices), HEAD_AXES, strict=True)
              for au, values in angle_tracks(angle, axis).items()}
    distance = -matrices[:, 2, 3]
    nearer = np.nanmedian(distance) / distance - 1.0
    tracks[57] = np.clip(nearer / DEPTH_FULL, 0.0, 1.0)
    tracks[58] = np.clip(-nearer / DEPTH_FULL, 0.0, 1.0)
    return tracks


def _read_frames(frames: Iterator[Frame], landmarker: Landmarker, expected: int,
                 progress: ProgressCallback | None) -> Iterator[tuple[Frame, list[FaceReading]]]:
    for done, frame in enumerate(frames, 1):
        faces = landmarker.read(frame.rgb, round(frame.time * 1000))
        if progress is not None:
            progress(done, max(expected, done))
        yield frame, faces


class MediaReader:
    """A read done in slices, for a caller that must stay responsive (Blender's modal import):
    :meth:`step` reads frames for a while, :meth:`capture` builds the capture once every frame is
    read, :meth:`close` (or ``with``) stops decoding and frees the model, whether finished or not.

    Opening checks the file and the model, so a bad input fails before the first frame. Arguments
    as :func:`read_media`.
    """

    def __init__(self, path: str | Path, *, face: FaceChoice = "largest", fps: float | None = None,
                 blendshapes: bool = False, model: Path = MODEL,
                 progress: ProgressCallback | None = None) -> None:
        self.media = open_media(path, fps=fps)
        self.face, self.blendshapes, self.model = face, blendshapes, model
        faces = SEARCHED_FACES if face == "largest" else max(SEARCHED_FACES, face)
        self._landmarker = Landmarker(model, video=self.media.kind == "video", faces=faces)
        self._frames = prefetched(self.media.frames())
        self._picked = follow(_read_frames(self._frames, self._landmarker, self.media.expected_frames,
                                           progress), face)
        self.read: list[tuple[Frame, FaceReading | None]] = []
        self.done = False
        self._closed = False

    @property
    def expected(self) -> int:
        """Frames to read in all, as far as known (the container's count may be short)."""
        return max(self.media.expected_frames, len(self.read))

    def step(self, seconds: float = float("inf")) -> bool:
        """Read frames for about ``seconds`` (at least one); whether frames are left.
        Raises :class:`ReadError` on a damaged file."""
        deadline = time.perf_counter() + seconds
        while not self.done:
            item = next(self._picked, None)
            if item is None:
                self.done = True
                self.close()
            else:
                self.read.append(item)
                if time.perf_counter() >= deadline:
                    break
        return not self.done

    def capture(self) -> Capture:
        """The whole take (every frame read). Raises :class:`ReadError` naming the file when no
        frame shows the face or the times do not increase."""
        if not self.done:
            raise RuntimeError("MediaReader.capture() before every frame was read")
        return _capture(self.media, self.read, self.face, self.blendshapes, self.model)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._frames.close()  # stops the decoding thread
            self._landmarker.close()

    def __enter__(self) -> MediaReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def read_media(
    path: str | Path,
    *,
    face: FaceChoice = "largest",
    fps: float | None = None,
    blendshapes: bool = False,
    model: Path = MODEL,
    progress: ProgressCallback | None = None,
) -> Capture:
    """Read every frame of a video, image or folder of images into a capture.

    ``fps`` spaces a folder's images; ``blendshapes`` keeps the raw scores in the capture's meta
    (``blendshapes``: names, times, scores with null on gaps) so an ARKit head can replay them 1:1.
    Raises :class:`ReadError` naming the file when it cannot be decoded or shows no face at all.
    """
    with MediaReader(path, face=face, fps=fps, blendshapes=blendshapes, model=model,
                     progress=progress) as reader:
        reader.step()
        return reader.capture()


def _capture(media: Media, picked: list[tuple[Frame, FaceReading | None]], face: FaceChoice,
             blendshapes: bool, model: Path) -> Capture:
    """The read frames as a capture: scores, head pose and the landmark AUs, gaps where no face."""
    times = np.array([frame.time for frame, _ in picked])
    found = np.array([reading is not None for _, reading in picked])
    if not found.any():
        which = "the largest face" if face == "largest" else f"a face number {face} (from the left)"
        raise ReadError(media.path, f"no face found in any of its {len(picked)} frames (looking for {which})")
    bad = first_not_increasing(times)
    if bad is not None:
        raise ReadError(media.path, f"frame {bad + 1} is shown at {times[bad]:.4f} s, not after the frame "
                        "before it")
    scores = np.full((len(picked), len(BLENDSHAPE_NAMES)), np.nan)
    matrices = np.full((len(picked), 4, 4), np.nan)
    for i, (_, reading) in enumerate(picked):
        if reading is not None:
            scores[i], matrices[i] = reading.blendshapes, reading.matrix
    capture = Capture(media.kind, media.path, times=times)
    capture.fps = (estimate_fps(times) if media.kind == "video" else None) or media.fps
    capture.shape_names = list(BLENDSHAPE_NAMES)
    capture.shape_weights = scores
    capture.set_valid(found, "without a face")
    capture.tracks = {(au, "both"): (curve, HEAD_SOURCE) for au, curve in head_tracks(matrices).items()}
    measured = measured_aus([reading for _, reading in picked])
    if measured is not None:  # these replace the solved AU 6, 7, 9 and 28 in io.importer.build
        capture.tracks |= {key: (curve, GEOMETRY_SOURCE) for key, curve in measured.items()}
    else:
        capture.warnings.append(f"AU {MEASURED_TEXT} not measured: fewer than "
                                f"{MIN_BASELINE_FRAMES} frames show the face, too few to find it at rest")
    capture.meta["reader"] = {"model": model.name, "face": str(face), "frames_with_face": int(found.sum())}
    if blendshapes:
        capture.meta["blendshapes"] = blendshape_meta(
            BLENDSHAPE_NAMES, times, (None if row is None else row.blendshapes for _, row in picked))
    return capture
