# SPDX-License-Identifier: GPL-3.0-or-later
"""Ground-truth AU labels for rendered frames, in OpenFace's CSV layout.

Renders double as training and test data for AU detectors, and the tools that evaluate detectors
read OpenFace output, so the labels use its columns: ``frame, face_id, timestamp, confidence,
success`` and ``AUxx_r`` intensities on OpenFace's 0–5 scale (value = 5 × activation). OpenFace's
17 AUs always come first, in its order; every other AU the rig has follows in number order. A
sided AU's ``AUxx_r`` is the stronger side (FACS scores the higher side when asymmetry is not
coded); the sides themselves follow as ``AUxx_L_r`` / ``AUxx_R_r`` (``_T`` / ``_B`` for lips).
:mod:`.openface` reads the same layout back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..core.files import atomic_write_text
from ..core.model import control_name, parse_control_name
from .openface import OPENFACE_MAX

OPENFACE_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
META_COLUMNS = ("frame", "face_id", "timestamp", "confidence", "success")


def label_table(
    frames: Sequence[int], fps: float, controls: Mapping[str, np.ndarray], first_frame: int | None = None,
    *, identity: str | None = None,
) -> tuple[list[str], list[list[str | int]]]:
    """Header and rows of the label CSV. ``controls`` maps control names (``AU12_L``) to per-frame
    activations 0..1; ``timestamp`` counts seconds from ``first_frame`` (the scene's start).
    ``identity`` (the default head's identity parameters, or ``default``) becomes a last column,
    so labels from many identities can be grouped by it."""
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
    header = [*META_COLUMNS, *columns, *(["identity"] if identity is not None else [])]
    rows: list[list[str | int]] = []
    for i, frame in enumerate(frames):
        cells = [f"{OPENFACE_MAX * float(np.clip(col[i], 0.0, 1.0)):.4f}" for col in columns.values()]
        rows.append([frame, 0, f"{(frame - start) / fps:.4f}", "1.00", 1, *cells,
                     *([identity] if identity is not None else [])])
    return header, rows


def write_labels(
    path: str | Path,
    frames: Sequence[int],
    fps: float,
    controls: Mapping[str, np.ndarray],
    first_frame: int | None = None,
    *,
    identity: str | None = None,
) -> Path:
    """Write the label CSV (see :func:`label_table`) in one piece: a failed write leaves no half
    file over an earlier one."""
    path = Path(path)
    header, rows = label_table(frames, fps, controls, first_frame=first_frame, identity=identity)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write_text(path, text.getvalue())
    return path
