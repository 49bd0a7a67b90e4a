# SPDX-License-Identifier: GPL-3.0-or-later
"""The one entry point the CLI and the panel call: any supported file in, a timeline and a
report out. Pure (no bpy), and nothing is written: the caller decides what to do with the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.catalogue import CHANNEL_ORDER
from ..core.errors import FacsError
from ..core.mapping.matching import name_key
from ..core.model import Timeline, Track
from ..core.segment import SegmentParams, rms_difference, segment_tracks
from ..core.timing import scene_rate
from . import audio2face, event_sheet, livelinkface, mediapipe, openface, pyfeat
from .blendshapes import DEFAULT_PRESET, preset_shape_keys, solve_shapes
from .capture import Capture
from .errors import ReadError
from .formats import detect, get_format

SIDE_ORDER = ("both", *CHANNEL_ORDER[1:])
SILENT = 1e-3
"""Solved AUs that never rise above this are left out: the shapes never asked for them."""


@dataclass
class ImportReport:
    """What happened, in numbers a user can judge the import by."""

    path: str
    format: str
    label: str
    frames: int = 0
    gap_frames: int = 0
    duration: float = 0.0
    fps: float | None = None
    tracks: int = 0
    events: int = 0
    solver_residual: float | None = None
    """RMS misfit of the blendshape solve over all frames and matched shapes (0..1 weight units)."""
    solver_residual_max: float | None = None
    """Worst single frame's RMS misfit."""
    segmentation_rms: float | None = None
    """RMS difference between the dense tracks and the events made from them (0..1 units)."""
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line (CLI output, panel report)."""
        out = [f"{Path(self.path).name}: {self.label}"]
        if self.frames:
            rate = f" at {self.fps:g} fps" if self.fps else ""
            out.append(f"{self.frames} frames{rate}, {self.duration:.2f} s, {self.gap_frames} gap frames")
        out.append(f"{self.tracks} tracks, {self.events} events")
        if self.solver_residual is not None:
            out.append(f"blendshape fit residual: RMS {self.solver_residual:.4f}, worst frame "
                       f"{self.solver_residual_max:.4f}")
        if self.segmentation_rms is not None:
            out.append(f"events vs dense tracks: RMS difference {self.segmentation_rms:.4f}")
        out += [f"warning: {w}" for w in self.warnings]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class ImportResult:
    timeline: Timeline
    report: ImportReport


def read_any(
    path: str | Path,
    *,
    fmt: str = "auto",
    events: bool = False,
    min_confidence: float = 0.8,
    fps: float | None = None,
    clip: str | None = None,
    preset: str = DEFAULT_PRESET,
    segment: SegmentParams | None = None,
) -> ImportResult:
    """Read a tracker export or event sheet into a timeline.

    ``fmt``: ``auto`` or a :data:`FORMATS` id. ``events``: turn dense tracks into FACS events (a
    compact timeline; the report gives the RMS difference). ``min_confidence``: OpenFace and py-feat
    rows below it become gaps. ``fps``: frame rate for files that store frame numbers only (py-feat,
    event sheets, MediaPipe sequences without timestamps). ``clip``: the one clip of an event sheet
    to import. ``preset``: mapping whose inverse turns blendshapes into AUs.
    Raises :class:`~.errors.ReadError` (a :class:`FacsError`) naming the file and where in it.
    """
    path = Path(path)
    if not 0.0 <= min_confidence <= 1.0:
        raise FacsError(f"min_confidence must be within 0..1, got {min_confidence}")
    if fps is not None:
        scene_rate(fps)
    fmt, payload = detect(path, fmt)
    capture = _read(fmt, path, payload, min_confidence=min_confidence, fps=fps, clip=clip, preset=preset)
    return build(capture, events=events, preset=preset, segment=segment)


def _read(fmt: str, path: Path, payload: Any, *, min_confidence: float, fps: float | None,
          clip: str | None, preset: str) -> Capture:
    if fmt == "openface":
        return openface.read(path, min_confidence=min_confidence, table=payload)
    if fmt == "pyfeat":
        return pyfeat.read(path, min_confidence=min_confidence, fps=fps, table=payload,
                           shape_names=preset_shape_keys(preset))
    if fmt == "livelinkface":
        return livelinkface.read(path, table=payload)
    if fmt == "audio2face":
        return audio2face.read(path, data=payload)
    if fmt == "mediapipe":
        return mediapipe.read(path, data=payload, fps=fps)
    return event_sheet.read(path, fps=fps, clip=clip, table=payload)


def build(capture: Capture, *, events: bool = False, preset: str = DEFAULT_PRESET,
          segment: SegmentParams | None = None) -> ImportResult:
    """The steps every format shares: solve blendshapes, mark gaps, make tracks (or events)."""
    fmt = get_format(capture.format)
    _check_capture(capture)
    report = ImportReport(str(capture.path), fmt.id, fmt.label, fps=capture.fps)
    warnings = list(capture.warnings)
    values = dict(capture.tracks)
    if capture.shape_weights is not None:
        solved = solve_shapes(capture.shape_names, capture.shape_weights, preset)
        direct = {au for au, _ in capture.tracks}
        for key, curve in solved.tracks.items():
            if key[0] not in direct and np.nanmax(curve, initial=0.0) > SILENT:
                values[key] = (curve, f"{preset} solve")
        report.solver_residual, report.solver_residual_max = solved.residual_rms, solved.residual_max
        warnings += solved.warnings
    name = capture.path.stem
    timeline = Timeline(events=list(capture.events), fps=capture.fps, name=name,
                        meta={"import": {"format": fmt.id, "file": capture.path.name, **capture.meta}})
    if capture.frames:
        times = np.asarray(capture.times, dtype=float)
        gaps = np.zeros(len(times), dtype=bool) if capture.valid is None else ~capture.valid
        report.frames, report.gap_frames = len(times), int(gaps.sum())
        report.duration = float(times[-1] - times[0])
        for (au, side), (curve, source) in sorted(values.items(),
                                                  key=lambda kv: (kv[0][0], SIDE_ORDER.index(kv[0][1]))):
            track = Track(au, side, times, np.where(gaps, np.nan, curve), source=source)
            timeline.tracks.append(track)
    elif timeline.events:
        report.duration = max(e.offset for e in timeline.events) - min(e.onset for e in timeline.events)
    if events and report.frames < 2 and timeline.tracks:
        warnings.append("a single frame cannot be cut into events: kept as tracks")
    elif events and timeline.tracks:
        made = segment_tracks(timeline.tracks, segment)
        report.segmentation_rms = rms_difference(timeline.tracks, made, timeline.overlap)
        timeline.meta["import"]["segmented_from_tracks"] = len(timeline.tracks)
        timeline.events += made
        timeline.tracks = []
    report.tracks, report.events = len(timeline.tracks), len(timeline.events)
    report.warnings = warnings
    timeline.warnings = list(warnings)
    return ImportResult(timeline, report)


def _check_capture(capture: Capture) -> None:
    """What every format must hand over, checked once here: a rate Blender can play, and shape
    names that are text and tell the shapes apart (``eyeBlink_L`` twice, or spelt both
    ``EyeBlinkLeft`` and ``eyeBlinkLeft``, would leave one of them out of the fit silently)."""
    if capture.fps is not None:
        try:
            scene_rate(capture.fps)
        except FacsError as exc:
            raise ReadError(capture.path, f"the file's frame rate: {exc}") from None
    seen: dict[str, str] = {}
    for name in capture.shape_names:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ReadError(capture.path, f"blendshape name {name!a} is not valid text (a lone "
                            "surrogate)") from None
        key = name_key(name)
        if key in seen:
            raise ReadError(capture.path, f"blendshapes {seen[key]!r} and {name!r} are the same shape "
                            "named twice")
        seen[key] = name
