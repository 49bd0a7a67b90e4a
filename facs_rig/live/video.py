# SPDX-License-Identifier: GPL-3.0-or-later
"""A video file read by the face reader as if it were a camera: played at its own rate.

Each frame is read at the moment its timestamp comes due (from when the source started); a frame
that comes due while the reader is still busy with an earlier one is skipped and counted as lost,
as a live camera would drop it, so the stream keeps the video's timing on any machine.
"""

from __future__ import annotations

import time

import numpy as np

from ..io.angles import HEAD_AXES
from ..io.errors import ReadError
from ..reader.capture import head_angles
from ..reader.landmarker import BLENDSHAPE_NAMES, Landmarker
from ..reader.media import Media, open_media
from .frame import LiveError, LiveFrame, angle_values
from .receiver import Receiver, Source


class VideoDecoder:
    shape_names: tuple[str, ...] | None = BLENDSHAPE_NAMES
    protocol = "face reader (video)"


class VideoReceiver(Receiver):
    def __init__(self, source: Source) -> None:
        super().__init__(source, VideoDecoder())
        self._media: Media | None = None
        self._landmarker: Landmarker | None = None

    def _open(self) -> None:
        assert self.source.path is not None
        media = open_media(self.source.path)
        if media.kind != "video":
            raise LiveError(f"{self.source.path}: not a video (the live video source plays a video file)")
        self._media = media
        self._landmarker = Landmarker(video=True, faces=1)

    def _run(self) -> None:
        assert self._media is not None and self._landmarker is not None
        landmarker, start = self._landmarker, time.perf_counter()
        step = 1.0 / (self._media.fps or 30.0)
        try:
            for frame in self._media.frames():
                due = start + frame.time
                if self._stop.wait(max(0.0, due - time.perf_counter())):
                    break
                if time.perf_counter() > due + step:
                    self.counters.lost += 1
                    continue
                self._take(lambda received, frame=frame: self._read(frame.rgb, frame.time, received))  # type: ignore[misc]
        except ReadError as exc:
            self.counters.last_error = str(exc)
        finally:
            landmarker.close()
            self.finished = True

    def _read(self, rgb: np.ndarray, at: float, received: float) -> LiveFrame | None:
        assert self._landmarker is not None
        faces = self._landmarker.read(rgb, round(at * 1000))
        if not faces:
            return None
        face = max(faces, key=lambda f: f.size)
        yaw, pitch, roll = (float(a[0]) for a in head_angles(face.matrix[None]))
        direct = angle_values(zip((yaw, pitch, roll), HEAD_AXES, strict=True))
        return LiveFrame(received, at, face.blendshapes, direct)
