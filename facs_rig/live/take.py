# SPDX-License-Identifier: GPL-3.0-or-later
"""A recorded take: every frame the source sent while recording, on the sender's own clock.

Times come from the sender where its protocol carries them (Live Link Face frame times,
FACSvatar timestamps, video timestamps), else from when each packet arrived, so the animation
keeps the performance's timing however many packets were lost or how late the consumer drained
them. The take becomes a timeline of dense tracks, like an imported capture, optionally cut into
FACS events by the importers' segmentation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.model import Timeline, Track
from ..core.segment import SegmentParams, rms_difference, segment_tracks
from ..io.capture import AUKey, blendshape_meta, estimate_fps
from ..io.importer import SIDE_ORDER, SILENT
from .frame import LiveFrame


class Take:
    def __init__(self) -> None:
        self.sender_times: list[float | None] = []
        self.arrivals: list[float] = []
        self.rows: list[np.ndarray] = []
        self.shapes: list[np.ndarray | None] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, frame: LiveFrame, values: np.ndarray, *, keep_shapes: bool = False) -> None:
        self.sender_times.append(frame.time)
        self.arrivals.append(frame.received)
        self.rows.append(values.copy())
        self.shapes.append(frame.shapes.copy() if keep_shapes and frame.shapes is not None else None)

    def times(self) -> tuple[np.ndarray, np.ndarray, str]:
        """Seconds from the first frame, the frames kept (times must increase: a frame timed at or
        before the one before it, a resent or reordered packet, is left out) and the clock used."""
        sender = all(t is not None for t in self.sender_times)
        raw = np.array(self.sender_times if sender else self.arrivals, dtype=float)
        latest = np.fmax.accumulate(np.r_[-np.inf, raw[:-1]]) if raw.size else raw  # before each frame
        kept = np.flatnonzero(raw > latest)
        return raw[kept] - (raw[kept][0] if kept.size else 0.0), kept, "sender" if sender else "arrival"

    def timeline(self, keys: list[AUKey], *, name: str = "live take", events: bool = False,
                 segment: SegmentParams | None = None, shape_names: list[str] | None = None,
                 meta: dict[str, Any] | None = None) -> Timeline:
        """The take as a timeline; ``shape_names`` also keeps the raw blendshape weights in
        ``meta.blendshapes`` (names, times, scores) for an ARKit head to replay 1:1."""
        times, kept, clock = self.times()
        values = np.zeros((len(kept), len(keys)))
        for row, i in enumerate(kept):
            values[row, : len(self.rows[i])] = self.rows[i][: len(keys)]
        info: dict[str, Any] = {"frames": len(self), "frames_kept": len(kept), "clock": clock,
                                **(meta or {})}
        timeline = Timeline(fps=estimate_fps(times), name=name, meta={"live": info})
        order = sorted(range(len(keys)), key=lambda k: (keys[k][0], SIDE_ORDER.index(keys[k][1])))
        for k in order:
            if len(times) and float(values[:, k].max()) > SILENT:
                timeline.tracks.append(Track(keys[k][0], keys[k][1], times, values[:, k], source="live"))  # type: ignore[arg-type]
        if shape_names is not None:
            timeline.meta["blendshapes"] = blendshape_meta(shape_names, times, (self.shapes[i] for i in kept))
        if events and len(times) > 1 and timeline.tracks:
            made = segment_tracks(timeline.tracks, segment)
            info["segmentation_rms"] = rms_difference(timeline.tracks, made, timeline.overlap)
            timeline.events, timeline.tracks = made, []
        return timeline
