# SPDX-License-Identifier: GPL-3.0-or-later
"""NVIDIA Audio2Face blendshape export (JSON): ``exportFps``, ``numPoses``, ``numFrames``,
``facsNames`` (ARKit names) and ``weightMat[frame][pose]``; joint and rotation blocks are ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .capture import Capture
from .errors import ReadError
from .jsondata import array, frame_rate, load_json, member, number


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and "weightMat" in data and "facsNames" in data


def read(path: str | Path, *, data: Any = None) -> Capture:
    path = Path(path)
    data = load_json(path) if data is None else data
    capture = Capture("audio2face", path)
    fps = frame_rate(path, member(path, data, "exportFps"), "exportFps")
    names = array(path, member(path, data, "facsNames"), "facsNames")
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise ReadError(path, "expected a blendshape name", json_path=f"facsNames[{i}]")
    rows = array(path, member(path, data, "weightMat"), "weightMat")
    for key, actual in (("numPoses", len(names)), ("numFrames", len(rows))):
        if key in data and number(path, data[key], key) != actual:
            raise ReadError(path, f"{key} is {data[key]} but the file has {actual}", json_path=key)
    if not rows:
        raise ReadError(path, "no frames", json_path="weightMat")
    capture.fps = fps
    capture.times = np.arange(len(rows)) / fps
    capture.shape_names = [str(n) for n in names]
    weights = capture.measured(_matrix(path, rows, len(names)), capture.shape_names, "blendshape")
    capture.shape_weights = np.clip(weights, 0.0, 1.0)
    capture.meta["trackPath"] = data.get("trackPath", "")
    return capture


def _matrix(path: Path, rows: list[Any], width: int) -> np.ndarray:
    """The weight matrix, fast when well formed (``NaN``, ``Infinity`` and ``1e999`` included: they
    become gaps); otherwise the first bad cell by its JSON path."""
    try:
        matrix = np.array(rows, dtype=float)
        if matrix.shape == (len(rows), width):
            return matrix
    except (TypeError, ValueError, OverflowError):
        pass
    out = np.empty((len(rows), width))
    for f, raw in enumerate(rows):
        row = array(path, raw, f"weightMat[{f}]")
        if len(row) != width:
            raise ReadError(path, f"{len(row)} weights but facsNames has {width}",
                            json_path=f"weightMat[{f}]")
        for p, value in enumerate(row):
            out[f, p] = number(path, value, f"weightMat[{f}][{p}]")
    return out
