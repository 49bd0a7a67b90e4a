# SPDX-License-Identifier: GPL-3.0-or-later
"""A video or images to a timeline and an import report, the way :func:`..io.read_any` does it
for tracker files: read with the face reader, then the importers' shared steps (solve, gaps,
events)."""

from __future__ import annotations

from pathlib import Path

from ..core.segment import SegmentParams
from ..io.blendshapes import DEFAULT_PRESET
from ..io.importer import ImportResult, build
from .capture import Progress, read_media
from .landmarker import MODEL
from .select import FaceChoice


def read_timeline(
    path: str | Path,
    *,
    face: FaceChoice = "largest",
    fps: float | None = None,
    events: bool = False,
    blendshapes: bool = False,
    preset: str = DEFAULT_PRESET,
    segment: SegmentParams | None = None,
    model: Path = MODEL,
    progress: Progress | None = None,
) -> ImportResult:
    """See :func:`.capture.read_media` for reading and :func:`..io.importer.build` for the rest."""
    capture = read_media(path, face=face, fps=fps, blendshapes=blendshapes, model=model, progress=progress)
    return build(capture, events=events, preset=preset, segment=segment)
