# SPDX-License-Identifier: GPL-3.0-or-later
"""The built-in face reader: images and videos to ARKit blendshape scores, landmarks and head pose.

MediaPipe's Face Landmarker does the reading and PyAV the decoding; both are imported only when a
reader is made, so the rest of facs_rig (and the add-on) works where they are not installed.
Pure Python: no bpy. It sits above :mod:`..io` and hands the importers a :class:`..io.capture.Capture`
(``io.importer.build(read_media(path))`` is the timeline, as ``convert`` makes it).
"""

from __future__ import annotations

from .capture import MediaReader, read_media
from .landmarker import (
    BLENDSHAPE_NAMES,
    MODEL,
    FaceReading,
    Landmarker,
    ReaderUnavailable,
    check_available,
    read_image,
)
from .media import Frame, Media, open_media
from .select import FaceChoice, follow, parse_face

__all__ = [
    "BLENDSHAPE_NAMES",
    "MODEL",
    "FaceChoice",
    "FaceReading",
    "Frame",
    "Landmarker",
    "Media",
    "MediaReader",
    "ReaderUnavailable",
    "check_available",
    "follow",
    "open_media",
    "parse_face",
    "read_image",
    "read_media",
]
