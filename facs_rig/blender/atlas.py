# SPDX-License-Identifier: GPL-3.0-or-later
"""A labelled contact sheet of action units, like the plates of the FACS manual.

Each row shows the neutral face beside one AU at the chosen intensities, every tile labelled
("AU12 Lip Corner Puller — C"). Tiles are rendered from the scene's own camera; labels are text
objects rendered once, in a throw-away scene, over the whole sheet (this works on 4.2, which cannot
draw text into images), and numpy composes the two. The user's scene is left as it was.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import bpy
import numpy as np

from ..core.files import check_outputs
from ..core.intensity import IntensityScale
from ..core.quiet import quiet_output
from ..render.atlas import (
    DEFAULT_LEVELS,
    DEFAULT_TILE,
    Plate,
    atlas_layout,
    crop_border,
    fit_tile,
    plate_rows,
    shelves,
)
from ..render.job import Engine, JobError
from ..render.progress import Progress
from .render import control_names, controlled_objects, render_scene
from .render_images import read_png, write_png
from .render_settings import restored_settings, set_resolution

LABEL_FONT = "DejaVuSansMono.woff2"
"""Blender's own font files: this one has unambiguous digits (AU11 must not read as AUII)."""
BACKGROUND = (1.0, 1.0, 1.0)
INK = (0.08, 0.08, 0.08)


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
    count = len(cast(bpy.types.Mesh, obj.data).vertices)
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


def _label_font() -> bpy.types.VectorFont | None:
    path = Path(bpy.utils.system_resource("DATAFILES", path="fonts")) / LABEL_FONT  # type: ignore[attr-defined]
    return bpy.data.fonts.load(str(path), check_existing=True) if path.exists() else None


def render_text(items: Sequence[tuple[str, int, int, float]], workdir: Path) -> list[np.ndarray]:
    """Coverage images (0..1, ``(h, w)``) of each ``(text, w, h, size)``: the text centred at the
    top of a w×h box, ``size`` px high, shrunk to fit one line or wrapped to the box. Rendered
    with Workbench in a temporary scene (1 Blender unit = 1 pixel) that is then removed with
    everything in it."""
    width, height, places = shelves([(w, h) for _, w, h, _ in items])
    fonts_before = {font.as_pointer() for font in bpy.data.fonts}
    scene = bpy.data.scenes.new("facs_rig_atlas_labels")
    font = _label_font()
    objects: list[bpy.types.Object] = []
    try:
        lens = bpy.data.cameras.new("facs_rig_atlas_camera")
        camera = bpy.data.objects.new("facs_rig_atlas_camera", lens)
        objects.append(camera)
        lens.type = "ORTHO"
        lens.ortho_scale = max(width, height)
        lens.clip_end = 100.0
        camera.location = (width / 2, -height / 2, 10.0)
        scene.collection.objects.link(camera)
        scene.camera = camera
        for text, _w, _h, size in items:
            curve = cast(bpy.types.TextCurve, bpy.data.curves.new("facs_rig_label", "FONT"))
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
            obj.location = (x + w / 2, -(y + min(size, cast(bpy.types.TextCurve, obj.data).size) * 0.35), 0.0)
        scene.render.film_transparent = True
        shading = scene.display.shading
        shading.light = "FLAT"
        shading.color_type = "SINGLE"
        shading.single_color = (0.0, 0.0, 0.0)
        scene.display.render_aa = "16"
        scene.view_settings.view_transform = "Standard"  # type: ignore[assignment]  # stubs: "NONE" only
        out = workdir / "labels.png"
        render_scene(scene, out, resolution=(width, height), engine="workbench", quiet=False,
                     progress=Progress(1))
        sheet = read_png(out)[..., 3]
        return [sheet[y:y + h, x:x + w] for (_t, w, h, _s), (x, y) in zip(items, places, strict=True)]
    finally:
        for obj in objects:
            data = obj.data
            bpy.data.objects.remove(obj)
            (bpy.data.cameras if isinstance(data, bpy.types.Camera) else bpy.data.curves).remove(
                data)  # type: ignore[arg-type]  # a camera or a text curve
        bpy.data.scenes.remove(scene)
        for block in list(bpy.data.fonts):  # the label font, and Bfont if text curves made it
            if block.as_pointer() not in fonts_before and block.users == 0:
                bpy.data.fonts.remove(block)


def _fit(obj: bpy.types.Object, box: tuple[int, int], view_layer: bpy.types.ViewLayer) -> None:
    """Make a label fit its box: shrink it to one line if that costs less than a quarter of its
    size, else wrap it to the box width; then shrink what is still too tall."""
    curve = cast(bpy.types.TextCurve, obj.data)
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


def render_plates(
    scene: bpy.types.Scene,
    obj: bpy.types.Object,
    plates: Sequence[Plate],
    workdir: Path,
    progress: Progress,
    *,
    border: tuple[float, float, float, float] | None = None,
    tile: int = DEFAULT_TILE,
    engine: Engine = "workbench",
    samples: int | None = None,
) -> dict[Plate, np.ndarray]:
    """Render each plate (its control values on ``obj``, every other control at 0) as an RGB tile
    ``tile`` pixels wide: of ``border`` when given, else of the whole camera frame. The face's own
    values and animation are put back afterwards."""
    pixels: dict[Plate, np.ndarray] = {}
    with _posed(obj), _cropped(scene, border, tile) as tile_size:
        for index, plate in enumerate(dict.fromkeys(plates)):
            for name in control_names(obj):
                obj[name] = 0.0
            for name, value in plate.values:
                obj[name] = value
            path = render_scene(scene, workdir / f"tile_{index:03d}.png", engine=engine,
                                samples=samples, quiet=False, progress=progress).files[0]
            pixels[plate] = fit_tile(read_png(path)[..., :3], tile_size)
    return pixels


def compose_sheet(output: Path, rows: Sequence[Sequence[tuple[np.ndarray, str]]], heading: str,
                  workdir: Path, *, label_lines: int = 2) -> Path:
    """Lay rows of ``(tile pixels, label)`` out as one labelled sheet (see :func:`atlas_layout`) and
    write it as a PNG. All tiles share the first one's size."""
    first = rows[0][0][0]
    layout = atlas_layout([len(r) for r in rows], (first.shape[1], first.shape[0]), label_lines=label_lines)
    cells = [cell for row in rows for cell in row]
    canvas = np.empty((layout.height, layout.width, 3), dtype=np.float32)
    canvas[:] = BACKGROUND
    for box, (pixels, _text) in zip(layout.tiles, cells, strict=True):
        canvas[box.y:box.y + box.h, box.x:box.x + box.w] = pixels
    labelled = [(text, box, layout.font_size) for box, (_p, text) in zip(layout.labels, cells, strict=True)]
    labelled.append((heading, layout.title, layout.font_size * 1.4))
    unique_labels = list(dict.fromkeys((t, b.w, b.h, size) for t, b, size in labelled))
    patches = dict(zip(unique_labels, render_text(unique_labels, workdir), strict=True))
    coverage = np.zeros((layout.height, layout.width, 1), dtype=np.float32)
    for text, box, size in labelled:
        coverage[box.y:box.y + box.h, box.x:box.x + box.w, 0] = patches[text, box.w, box.h, size]
    canvas = canvas * (1.0 - coverage) + np.asarray(INK, dtype=np.float32) * coverage
    return write_png(output, canvas)


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
    check_outputs({"the atlas": output})
    if obj is None:
        faces = controlled_objects(scene)
        if not faces:
            raise JobError(f"scene {scene.name!r} has no face with AU controls: rig it first")
        obj = faces[0]
    rows = plate_rows(control_names(obj), aus, levels, scale)
    plates = [p for row in rows for p in row]
    region = moving_region(scene, obj) if crop else None
    aspect = scene.render.resolution_x / scene.render.resolution_y
    border = crop_border(region, aspect) if region else None
    # Inside Blender's own session folder, which a render stopped by Ctrl-C removes too.
    with tempfile.TemporaryDirectory(prefix="facs_rig_atlas_", dir=bpy.app.tempdir) as tmp, \
            quiet_output(quiet) as stream:
        workdir = Path(tmp)
        if progress is None:
            progress = Progress(len(set(plates)) + 1, label="atlas", stream=stream)
        pixels = render_plates(scene, obj, plates, workdir, progress, border=border, tile=tile,
                               engine=engine, samples=samples)
        heading = title or f"FACS action units — {obj.name} — intensities {', '.join(levels)}"
        path = compose_sheet(output, [[(pixels[p], p.text) for p in row] for row in rows], heading, workdir)
        progress.frame_done()
    return path
