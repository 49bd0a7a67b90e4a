# SPDX-License-Identifier: GPL-3.0-or-later
"""PNG files to numpy arrays and back through Blender's own image API (no imaging library needed).

Arrays are ``(height, width, 4)`` float32 in 0..1, top row first, as image tools show them;
Blender stores the bottom row first, so the flip happens here and nowhere else. 8-bit PNGs are
read and written without colour conversion, so a pixel survives the round trip unchanged.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from ..core.files import replaced_on_success


def read_png(path: str | Path) -> np.ndarray:
    image = bpy.data.images.load(str(path), check_existing=False)
    try:
        width, height = image.size
        pixels = np.empty(width * height * 4, dtype=np.float32)
        image.pixels.foreach_get(pixels)  # type: ignore[attr-defined]  # the stubs say float
    finally:
        bpy.data.images.remove(image)
    return pixels.reshape(height, width, 4)[::-1]


def write_png(path: str | Path, pixels: np.ndarray) -> Path:
    """Write an ``(h, w, 3|4)`` array as an 8-bit RGB PNG (alpha is dropped: sheets are opaque),
    through a temporary file beside ``path``, so a failed save leaves the previous image."""
    path = Path(path)
    height, width = pixels.shape[:2]
    rgba = np.ones((height, width, 4), dtype=np.float32)
    rgba[..., :3] = np.clip(pixels[..., :3], 0.0, 1.0)
    image = bpy.data.images.new(f"facs_rig_{path.stem}", width, height, alpha=False)
    try:
        image.pixels.foreach_set(rgba[::-1].ravel())  # type: ignore[attr-defined]  # as above
        image.file_format = "PNG"
        with replaced_on_success(path) as (tmp,):
            image.filepath_raw = str(tmp)
            image.save()
    finally:
        bpy.data.images.remove(image)
    return path
