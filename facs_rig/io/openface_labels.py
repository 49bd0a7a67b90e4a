# SPDX-License-Identifier: GPL-3.0-or-later
"""Ground-truth AU labels for rendered frames, in OpenFace's CSV layout.

Renders double as training and test data for AU detectors, and the tools that evaluate detectors
read OpenFace output, so the labels use its columns: ``frame, face_id, timestamp, confidence,
success`` and ``AUxx_r`` intensities on OpenFace's 0–5 scale (value = 5 × activation). OpenFace's
17 AUs always come first, in its order; every other AU the rig has follows in number order. A
sided AU's ``AUxx_r`` is the stronger side (FACS scores the higher side when asymmetry is not
coded); the sides themselves follow as ``AUxx_L_r`` / ``AUxx_R_r`` (``_T`` / ``_B`` for lips).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.model import control_name, parse_control_name

OPENFACE_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
OPENFACE_MAX = 5.0
META_COLUMNS = ("frame", "face_id", "timestamp", "confidence", "success")


def label_table(
    frames: Sequence[int], fps: float, controls: Mapping[str, np.ndarray], first_frame: int | None = None
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the label CSV. ``controls`` maps control names (``AU12_L``) to per-frame
    activations 0..1; ``timestamp`` counts seconds from ``first_frame`` (the scene's start)."""
    start = frames[0] if first_frame is None else first_frame
    by_au: dict[int, dict[str, np.ndarray]] = {}
    for name, values in controls.items():
        au, channel = parse_control_name(name)
        by_au.setdefault(au, {})[channel] = np.asarray(values, dtype=float)
    extra = sorted(set(by_au) - set(OPENFACE_AUS))
    n = len(frames)
    columns: dict[str, np.ndarray] = {}
    for au in (*OPENFACE_AUS, *extra):
        channels = by_au.get(au, {})
        strongest = np.max(np.stack(list(channels.values())), axis=0) if channels else np.zeros(n)
        columns[f"{control_name(au)}_r"] = strongest
    for au in sorted(by_au):
        for channel in sorted(c for c in by_au[au] if c):
            columns[f"{control_name(au, channel)}_r"] = by_au[au][channel]
    header = [*META_COLUMNS, *columns]
    rows = []
    for i, frame in enumerate(frames):
        values = [f"{OPENFACE_MAX * float(np.clip(col[i], 0.0, 1.0)):.4f}" for col in columns.values()]
        rows.append([frame, 0, f"{(frame - start) / fps:.4f}", "1.00", 1, *values])
    return header, rows


def write_labels(
    path: str | Path, frames: Sequence[int], scene: Any, controls: Mapping[str, np.ndarray]
) -> Path:
    """Write the label CSV for ``frames`` of ``scene`` (its fps and start frame set the timestamps)."""
    path = Path(path)
    fps = scene.render.fps / scene.render.fps_base
    header, rows = label_table(frames, fps, controls, first_frame=scene.frame_start)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path
