# SPDX-License-Identifier: GPL-3.0-or-later
"""The AU atlas as plain data: which plates a rig gets, where tiles and labels go on the sheet, and
how a tile is cropped and cut. Pure, so the arithmetic is tested without rendering;
:mod:`facs_rig.blender.atlas` renders the pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.catalogue import get_au
from ..core.intensity import LETTERS, IntensityScale, scale_from_spec
from ..core.model import parse_control_name
from .job import JobError

DEFAULT_LEVELS = ("A", "C", "E")
FACE_KINDS = ("action_unit", "action_descriptor")
"""What the atlas shows unless told otherwise: the face's own movements, like the manual's plates
(head and eye positions are bone turns, listed with ``aus="all"``)."""
DEFAULT_TILE = 256


@dataclass(frozen=True)
class Plate:
    """One tile: its label and the AU control values it shows (others are 0)."""

    text: str
    values: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    title: Box
    tiles: tuple[Box, ...]
    labels: tuple[Box, ...]
    font_size: float


def rig_aus(controls: Sequence[str], kinds: Sequence[str] | None = FACE_KINDS) -> list[int]:
    """The AUs a rig has controls for, in number order; only those of ``kinds`` unless None."""
    numbers = sorted({parse_control_name(name)[0] for name in controls})
    return [n for n in numbers if kinds is None or get_au(n).kind in kinds]


def plate_rows(
    controls: Sequence[str],
    aus: Sequence[int] | None = None,
    levels: Sequence[str] = DEFAULT_LEVELS,
    scale: str | IntensityScale | None = None,
) -> list[list[Plate]]:
    """One row per AU: the neutral face, then the AU at each level, on all of its channels.

    ``aus`` defaults to the face AUs the rig has controls for (:func:`rig_aus`); an AU the rig
    lacks is an error (an unchanged tile would look like a face that cannot do it).
    """
    bad = [level for level in levels if level not in LETTERS]
    if bad or not levels:
        raise JobError(f"levels {','.join(levels)}: use intensity letters A to E, e.g. A,C,E")
    intensity = scale_from_spec(scale)
    by_au: dict[int, list[str]] = {}
    for name in controls:
        by_au.setdefault(parse_control_name(name)[0], []).append(name)
    wanted = rig_aus(controls) if aus is None else list(aus)
    if not wanted:
        raise JobError("no AU to show: the rig has no face AU controls (pick some with aus)")
    missing = [au for au in wanted if au not in by_au]
    if missing:
        have = ", ".join(str(au) for au in sorted(by_au)) or "none"
        raise JobError(f"the rig has no control for AU {', '.join(map(str, missing))} (it has: {have})")
    neutral = Plate("Neutral")
    rows = []
    for au in wanted:
        name = get_au(au).name
        row = [neutral]
        for level in levels:
            value = intensity.to_value(level)
            row.append(Plate(f"AU{au} {name} — {level}", tuple((c, value) for c in by_au[au])))
        rows.append(row)
    return rows


def atlas_layout(
    row_lengths: Sequence[int], tile: tuple[int, int], *, aspect: float = 1.0, margin: int | None = None,
    label_lines: int = 2,
) -> Layout:
    """Place rows of tiles (each with a label strip of ``label_lines`` lines under it) in as many
    columns of rows as makes the sheet closest to ``aspect`` (width / height). Coordinates are
    pixels from the top left."""
    tw, th = tile
    font = max(11.0, round(tw * 0.066))
    label_h = math.ceil(font * (0.9 + label_lines))
    gap = max(2, tw // 64)
    margin = margin if margin is not None else max(8, tw // 10)
    title_h = math.ceil(font * 2.6)
    longest = max(row_lengths, default=1)
    group_w = longest * tw + (longest - 1) * gap
    group_h = th + label_h
    n = len(row_lengths)

    def size(columns: int) -> tuple[int, int]:
        lines = math.ceil(n / columns)
        return (
            2 * margin + columns * group_w + (columns - 1) * margin,
            2 * margin + title_h + lines * group_h + (lines - 1) * margin,
        )

    columns = min(range(1, max(n, 1) + 1), key=lambda c: abs(math.log(size(c)[0] / size(c)[1] / aspect)))
    width, height = size(columns)
    tiles, labels = [], []
    for index, length in enumerate(row_lengths):
        line, column = divmod(index, columns)
        x0 = margin + column * (group_w + margin)
        y0 = margin + title_h + line * (group_h + margin)
        for i in range(length):
            x = x0 + i * (tw + gap)
            tiles.append(Box(x, y0, tw, th))
            labels.append(Box(x, y0 + th, tw, label_h))
    title = Box(margin, margin, width - 2 * margin, title_h)
    return Layout(width, height, title, tuple(tiles), tuple(labels), font)


def crop_border(region: tuple[float, float, float, float], aspect: float, margin: float = 0.12
                ) -> tuple[float, float, float, float]:
    """A square (in pixels) border around ``region`` with ``margin`` on each side, kept inside a
    frame of width/height ``aspect``; returns ``(x0, x1, y0, y1)`` in 0..1 of the frame."""
    x0, x1, y0, y1 = region
    side = min(max((x1 - x0) * aspect, y1 - y0) * (1 + 2 * margin), aspect, 1.0)
    cx = min(max((x0 + x1) / 2 * aspect, side / 2), aspect - side / 2)
    cy = min(max((y0 + y1) / 2, side / 2), 1.0 - side / 2)
    return (cx - side / 2) / aspect, (cx + side / 2) / aspect, cy - side / 2, cy + side / 2


def crop_pixels(pixels: np.ndarray, border: tuple[float, float, float, float]) -> np.ndarray:
    """The part of a rendered image (top row first) inside ``border`` ``(x0, x1, y0, y1)``, given in
    0..1 of the frame with y up as Blender's render border is: the same crop without rendering
    again, for an image that must also exist whole."""
    height, width = pixels.shape[:2]
    x0, x1, y0, y1 = border
    return pixels[round((1 - y1) * height):round((1 - y0) * height), round(x0 * width):round(x1 * width)]


def resize(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resampling to ``(width, height)``: a sheet's faces are smaller than the renders the
    reader reads, and Blender's own image scaling would need an image datablock per tile."""
    width, height = size
    h, w = pixels.shape[:2]
    ys = np.clip((np.arange(height) + 0.5) * h / height - 0.5, 0, h - 1)
    xs = np.clip((np.arange(width) + 0.5) * w / width - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = pixels[y0][:, x0] * (1 - fx) + pixels[y0][:, x1] * fx
    bottom = pixels[y1][:, x0] * (1 - fx) + pixels[y1][:, x1] * fx
    return np.asarray(top * (1 - fy) + bottom * fy)


def fit_tile(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Cut or pad (repeating the edge) a render to exactly ``size``: a border's pixel rounding can
    make a crop one pixel larger or smaller than asked."""
    width, height = size
    h, w = pixels.shape[:2]
    top, left = max(0, (h - height) // 2), max(0, (w - width) // 2)
    pixels = pixels[top:top + height, left:left + width]
    h, w = pixels.shape[:2]
    return np.pad(pixels, ((0, height - h), (0, width - w), (0, 0)), mode="edge")


def shelves(sizes: Sequence[tuple[int, int]]) -> tuple[int, int, list[tuple[int, int]]]:
    """Pack boxes left to right in rows about as wide as the packed area is tall: the label sheet
    stays small (rendering the whole atlas to draw its labels would cost ten times more pixels)."""
    area = sum(w * h for w, h in sizes)
    width = max(max((w for w, _ in sizes), default=1), math.ceil(math.sqrt(area)))
    x = y = shelf = 0
    places = []
    for w, h in sizes:
        if x + w > width:
            x, y, shelf = 0, y + shelf, 0
        places.append((x, y))
        x, shelf = x + w, max(shelf, h)
    return width, y + shelf, places
