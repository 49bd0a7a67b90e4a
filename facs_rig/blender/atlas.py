# SPDX-License-Identifier: GPL-3.0-or-later
"""A labelled contact sheet of action units, like the plates of the FACS manual.

Each row shows the neutral face beside one AU at the chosen intensities, every tile labelled
("AU12 Lip Corner Puller — C"). Tiles are rendered from the scene's own camera; labels are text
objects rendered once, in a throw-away scene, over the whole sheet (this works on 4.2, which cannot
draw text into images), and numpy composes the two. The user's scene is left as it was.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np

from ..batch.jobs import Engine, JobError
from ..core.catalogue import get_au
from ..core.intensity import LETTERS, IntensityScale, scale_from_spec
from ..core.model import parse_control_name
from .render import control_names, controlled_objects, quiet_blender, render_scene
from .render_images import read_png, write_png
from .render_progress import Progress
from .render_settings import restored_settings, set_resolution

DEFAULT_LEVELS = ("A", "C", "E")
FACE_KINDS = ("action_unit", "action_descriptor")
"""What the atlas shows unless told otherwise: the face's own movements, like the manual's plates
(head and eye positions are bone turns, listed with ``aus="all"``)."""
DEFAULT_TILE = 256
LABEL_FONT = "DejaVuSansMono.woff2"
"""Blender's own font files: this one has unambiguous digits (AU11 must not read as AUII)."""
BACKGROUND = (1.0, 1.0, 1.0)
INK = (0.08, 0.08, 0.08)


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
    row_lengths: Sequence[int], tile: tuple[int, int], *, aspect: float = 1.0, margin: int | None = None
) -> Layout:
    """Place rows of tiles (each with a label strip under it) in as many columns of rows as makes
    the sheet closest to ``aspect`` (width / height). Coordinates are pixels from the top left."""
    tw, th = tile
    font = max(11.0, round(tw * 0.066))
    label_h = math.ceil(font * 2.9)
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


@contextmanager
def _posed(obj: bpy.types.Object) -> Iterator[None]:
    """Let the atlas set AU controls by hand: the face's actions are detached (they would override
    the values at render time) and everything is put back afterwards."""
    owners = [obj, getattr(obj.data, "shape_keys", None), obj.find_armature()]
    detached = []
    for owner in filter(None, owners):
        anim = owner.animation_data
        if anim and anim.action:
            detached.append((anim, anim.action, getattr(anim, "action_slot", None)))
            anim.action = None
    saved = {name: obj[name] for name in control_names(obj)}
    try:
        yield
    finally:
        for name, value in saved.items():
            obj[name] = value
        for anim, action, slot in detached:
            anim.action = action
            if slot is not None and anim.action_slot != slot:
                anim.action_slot = slot
        obj.update_tag()


def moving_region(scene: bpy.types.Scene, obj: bpy.types.Object) -> tuple[float, float, float, float] | None:
    """Where the face moves, as ``(x0, x1, y0, y1)`` in 0..1 of the camera frame: the bounds of the
    vertices any shape key displaces, projected through the scene camera. None without shape keys
    or when they lie outside the view."""
    key = getattr(obj.data, "shape_keys", None)
    if key is None or scene.camera is None or len(key.key_blocks) < 2:
        return None
    count = len(obj.data.vertices)
    basis = np.empty(count * 3, dtype=np.float32)
    key.reference_key.data.foreach_get("co", basis)
    moved = np.zeros(count, dtype=bool)
    co = np.empty_like(basis)
    for block in key.key_blocks:
        if block != key.reference_key:
            block.data.foreach_get("co", co)
            moved |= (np.abs(co - basis).reshape(-1, 3) > 1e-4).any(axis=1)
    if not moved.any():
        return None
    points = np.c_[basis.reshape(-1, 3)[moved], np.ones(int(moved.sum()))]
    render = scene.render
    projection = np.array(scene.camera.calc_matrix_camera(
        bpy.context.evaluated_depsgraph_get(), x=render.resolution_x, y=render.resolution_y))
    to_clip = projection @ np.array(scene.camera.matrix_world.inverted()) @ np.array(obj.matrix_world)
    clip = points @ to_clip.T
    in_front = clip[:, 3] > 1e-6
    if not in_front.any():
        return None
    ndc = (clip[in_front, :2] / clip[in_front, 3:4] + 1.0) / 2.0
    (x0, y0), (x1, y1) = np.clip(ndc.min(axis=0), 0, 1), np.clip(ndc.max(axis=0), 0, 1)
    return (float(x0), float(x1), float(y0), float(y1)) if x1 > x0 and y1 > y0 else None


def crop_border(region: tuple[float, float, float, float], aspect: float, margin: float = 0.12
                ) -> tuple[float, float, float, float]:
    """A square (in pixels) border around ``region`` with ``margin`` on each side, kept inside a
    frame of width/height ``aspect``; returns ``(x0, x1, y0, y1)`` in 0..1 of the frame."""
    x0, x1, y0, y1 = region
    side = min(max((x1 - x0) * aspect, y1 - y0) * (1 + 2 * margin), aspect, 1.0)
    cx = min(max((x0 + x1) / 2 * aspect, side / 2), aspect - side / 2)
    cy = min(max((y0 + y1) / 2, side / 2), 1.0 - side / 2)
    return (cx - side / 2) / aspect, (cx + side / 2) / aspect, cy - side / 2, cy + side / 2


@contextmanager
def _cropped(scene: bpy.types.Scene, border: tuple[float, float, float, float] | None, tile: int
             ) -> Iterator[tuple[int, int]]:
    """Render only ``border`` of the camera frame, ``tile`` pixels wide (the whole frame without
    one); yields the tile size ``(width, height)`` every render is then cut to."""
    render = scene.render
    with restored_settings(scene):
        aspect = render.resolution_x / render.resolution_y
        if border is None:
            size = (tile, max(8, round(tile / aspect)))
            set_resolution(scene, size)
        else:
            width = max(8, round(tile / (border[1] - border[0])))
            set_resolution(scene, (width, max(8, round(width / aspect))))
            render.use_border = render.use_crop_to_border = True
            render.border_min_x, render.border_max_x, render.border_min_y, render.border_max_y = border
            size = (tile, tile)
        yield size


def _fit_tile(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Cut or pad (repeating the edge) a render to exactly ``size``: a border's pixel rounding can
    make a crop one pixel larger or smaller than asked."""
    width, height = size
    h, w = pixels.shape[:2]
    top, left = max(0, (h - height) // 2), max(0, (w - width) // 2)
    pixels = pixels[top:top + height, left:left + width]
    h, w = pixels.shape[:2]
    return np.pad(pixels, ((0, height - h), (0, width - w), (0, 0)), mode="edge")


def _label_font() -> bpy.types.VectorFont | None:
    path = Path(bpy.utils.system_resource("DATAFILES", path="fonts")) / LABEL_FONT
    return bpy.data.fonts.load(str(path), check_existing=True) if path.exists() else None


def _shelves(sizes: Sequence[tuple[int, int]]) -> tuple[int, int, list[tuple[int, int]]]:
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


def render_text(items: Sequence[tuple[str, int, int, float]], workdir: Path) -> list[np.ndarray]:
    """Coverage images (0..1, ``(h, w)``) of each ``(text, w, h, size)``: the text centred at the
    top of a w×h box, ``size`` px high, shrunk to fit one line or wrapped to the box. Rendered
    with Workbench in a temporary scene (1 Blender unit = 1 pixel) that is then removed with
    everything in it."""
    width, height, places = _shelves([(w, h) for _, w, h, _ in items])
    fonts_before = {font.as_pointer() for font in bpy.data.fonts}
    scene = bpy.data.scenes.new("facs_rig_atlas_labels")
    font = _label_font()
    objects: list[bpy.types.Object] = []
    try:
        camera = bpy.data.objects.new("facs_rig_atlas_camera", bpy.data.cameras.new("facs_rig_atlas_camera"))
        objects.append(camera)
        camera.data.type = "ORTHO"
        camera.data.ortho_scale = max(width, height)
        camera.data.clip_end = 100.0
        camera.location = (width / 2, -height / 2, 10.0)
        scene.collection.objects.link(camera)
        scene.camera = camera
        for text, _w, _h, size in items:
            curve = bpy.data.curves.new("facs_rig_label", "FONT")
            if font:
                curve.font = font
            curve.body = text
            curve.size = size
            curve.align_x = "CENTER"
            curve.align_y = "TOP"
            obj = bpy.data.objects.new("facs_rig_label", curve)
            objects.append(obj)
            scene.collection.objects.link(obj)
        view_layer = scene.view_layers[0]
        view_layer.update()
        for obj, (_text, w, h, size), (x, y) in zip(objects[1:], items, places, strict=True):
            _fit(obj, (w, h), view_layer)
            obj.location = (x + w / 2, -(y + min(size, obj.data.size) * 0.35), 0.0)
        scene.render.film_transparent = True
        shading = scene.display.shading
        shading.light = "FLAT"
        shading.color_type = "SINGLE"
        shading.single_color = (0.0, 0.0, 0.0)
        scene.display.render_aa = "16"
        scene.view_settings.view_transform = "Standard"
        out = workdir / "labels.png"
        render_scene(scene, out, resolution=(width, height), engine="workbench", quiet=False,
                     progress=Progress(1))
        sheet = read_png(out)[..., 3]
        return [sheet[y:y + h, x:x + w] for (_t, w, h, _s), (x, y) in zip(items, places, strict=True)]
    finally:
        for obj in objects:
            data = obj.data
            bpy.data.objects.remove(obj)
            (bpy.data.cameras if isinstance(data, bpy.types.Camera) else bpy.data.curves).remove(data)
        bpy.data.scenes.remove(scene)
        for block in list(bpy.data.fonts):  # the label font, and Bfont if text curves made it
            if block.as_pointer() not in fonts_before and block.users == 0:
                bpy.data.fonts.remove(block)


def _fit(obj: bpy.types.Object, box: tuple[int, int], view_layer: bpy.types.ViewLayer) -> None:
    """Make a label fit its box: shrink it to one line if that costs less than a quarter of its
    size, else wrap it to the box width; then shrink what is still too tall."""
    curve = obj.data
    max_width, max_height = box[0] * 0.94, box[1] * 0.9
    width = obj.dimensions.x
    if width > max_width:
        if max_width / width >= 0.75:
            curve.size *= max_width / width
        else:
            curve.text_boxes[0].width = max_width
            curve.text_boxes[0].x = -max_width / 2
    for _ in range(4):  # a smaller font wraps into fewer lines: converge in a few steps
        view_layer.update()
        height = obj.dimensions.y + curve.size * 0.35
        if height <= max_height:
            return
        curve.size *= max(0.5, max_height / height * 0.98)


def render_atlas(
    scene: bpy.types.Scene,
    output: str | Path,
    *,
    obj: bpy.types.Object | None = None,
    aus: Sequence[int] | None = None,
    levels: Sequence[str] = DEFAULT_LEVELS,
    scale: str | IntensityScale | None = None,
    tile: int = DEFAULT_TILE,
    engine: Engine = "workbench",
    samples: int | None = None,
    title: str | None = None,
    crop: bool = True,
    quiet: bool = True,
    progress: Progress | None = None,
) -> Path:
    """Render the contact sheet of ``obj`` (the scene's rigged face by default) to a PNG.

    With ``crop`` the tiles show the part of the camera view where the face moves (see
    :func:`moving_region`), so small movements stay visible at small tile sizes.
    """
    output = Path(output)
    if output.suffix.lower() != ".png":
        raise JobError(f"{output}: the atlas is a PNG image; give a path ending in .png")
    if obj is None:
        faces = controlled_objects(scene)
        if not faces:
            raise JobError(f"scene {scene.name!r} has no face with AU controls: rig it first")
        obj = faces[0]
    rows = plate_rows(control_names(obj), aus, levels, scale)
    plates = [p for row in rows for p in row]
    unique = list(dict.fromkeys(plates))
    region = moving_region(scene, obj) if crop else None
    aspect = scene.render.resolution_x / scene.render.resolution_y
    border = crop_border(region, aspect) if region else None
    with tempfile.TemporaryDirectory(prefix="facs_rig_atlas_") as tmp, quiet_blender(quiet) as stream:
        workdir = Path(tmp)
        if progress is None:
            progress = Progress(len(unique) + 1, label="atlas", stream=stream)
        pixels: dict[Plate, np.ndarray] = {}
        with _posed(obj), _cropped(scene, border, tile) as tile_size:
            for index, plate in enumerate(unique):
                for name in control_names(obj):
                    obj[name] = 0.0
                for name, value in plate.values:
                    obj[name] = value
                path = render_scene(scene, workdir / f"tile_{index:03d}.png", engine=engine,
                                    samples=samples, quiet=False, progress=progress).files[0]
                pixels[plate] = _fit_tile(read_png(path)[..., :3], tile_size)
        layout = atlas_layout([len(r) for r in rows], tile_size)
        canvas = np.empty((layout.height, layout.width, 3), dtype=np.float32)
        canvas[:] = BACKGROUND
        for box, plate in zip(layout.tiles, plates, strict=True):
            canvas[box.y:box.y + box.h, box.x:box.x + box.w] = pixels[plate]
        heading = title or f"FACS action units — {obj.name} — intensities {', '.join(levels)}"
        labelled = [(p.text, box, layout.font_size) for box, p in zip(layout.labels, plates, strict=True)]
        labelled.append((heading, layout.title, layout.font_size * 1.4))
        unique_labels = list(dict.fromkeys((t, b.w, b.h, size) for t, b, size in labelled))
        patches = dict(zip(unique_labels, render_text(unique_labels, workdir), strict=True))
        coverage = np.zeros((layout.height, layout.width, 1), dtype=np.float32)
        for text, box, size in labelled:
            coverage[box.y:box.y + box.h, box.x:box.x + box.w, 0] = patches[text, box.w, box.h, size]
        progress.frame_done()
    canvas = canvas * (1.0 - coverage) + np.asarray(INK, dtype=np.float32) * coverage
    return write_png(output, canvas)
