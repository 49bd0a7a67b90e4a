# SPDX-License-Identifier: GPL-3.0-or-later
"""``verify``: render the face at each code, level and view, read every render with the built-in
reader, and score what was read (:mod:`facs_rig.render.verify`).

Tiles come from the atlas's renderer (:func:`.atlas.render_plates`) and the contact sheet from its
composer, so verify's sheet looks like the atlas with the reading printed under each tile. The
views swing the scene camera about the face's vertical axis and put it back afterwards.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix, Vector

from ..core.files import replaced_on_success
from ..core.model import control_name
from ..core.quiet import quiet_output
from ..io.blendshapes import DEFAULT_PRESET, solve_shapes
from ..reader import BLENDSHAPE_NAMES, Landmarker
from ..reader.geometry import MEASURED_AUS, measured_aus
from ..render.atlas import DEFAULT_TILE, Plate, crop_border, crop_pixels, resize
from ..render.job import Engine
from ..render.progress import Progress
from ..render.verify import (
    Report,
    Subject,
    Trial,
    View,
    report_json,
    report_markdown,
    score,
    summary,
    tile_label,
)
from .atlas import compose_sheet, moving_region, render_plates
from .render_settings import restored_settings, set_resolution

Cell = tuple[np.ndarray, str]


@contextmanager
def _viewed_from(scene: bpy.types.Scene, obj: bpy.types.Object, view: View) -> Iterator[None]:
    """Swing the camera ``view.yaw`` degrees about the vertical axis through the face's centre
    (positive towards the subject's left, who looks along −Y), and put it back."""
    camera = scene.camera
    scene.view_layers[0].update()  # a camera parented to the rig has no world matrix until evaluated
    saved = camera.matrix_world.copy()
    centre = obj.matrix_world @ (sum((Vector(c) for c in obj.bound_box), Vector()) / 8.0)
    pivot = Vector((centre.x, centre.y, 0.0))
    turn = Matrix.Translation(pivot) @ Matrix.Rotation(math.radians(view.yaw), 4, "Z") \
        @ Matrix.Translation(-pivot)
    camera.matrix_world = turn @ saved
    try:
        yield
    finally:
        camera.matrix_world = saved


def _to_rgb8(pixels: np.ndarray) -> np.ndarray:
    return np.round(np.clip(pixels[..., :3], 0.0, 1.0) * 255.0).astype(np.uint8)


def read_aus(images: Sequence[np.ndarray], *, neutral: int = 0) -> tuple[list[dict[str, float] | None],
                                                                         list[float | None]]:
    """Each image's AU control values as the reader sees them (None where no face is found) and the
    solver's residual: the largest face, solved in one batch through the mapping ``convert`` inverts
    for the reader (the reader speaks ARKit, whatever preset rigs the face). AU 6, 7, 9 and 28 are
    measured on the landmarks against ``images[neutral]``, the face at rest, as ``convert`` measures
    them against the take's resting face. An AU the reader leaves unscored in an image (gaze with both
    eyes shut) is absent from its reading."""
    with Landmarker(faces=1) as landmarker:
        faces = [max(landmarker.read(_to_rgb8(image)), key=lambda f: f.size, default=None)
                 for image in images]
    weights = np.array([f.blendshapes if f is not None else np.full(len(BLENDSHAPE_NAMES), np.nan)
                        for f in faces])
    solved = solve_shapes(list(BLENDSHAPE_NAMES), weights, DEFAULT_PRESET)
    tracks = solved.tracks | (measured_aus(faces, neutral=neutral) or {})
    reads: list[dict[str, float] | None] = []
    residuals: list[float | None] = []
    for i, face in enumerate(faces):
        if face is None:
            reads.append(None)
            residuals.append(None)
            continue
        reads.append({control_name(au, "" if channel == "both" else channel): float(track[i])
                      for (au, channel), track in tracks.items() if np.isfinite(track[i])})
        residuals.append(float(solved.residual[i]))
    return reads, residuals


def run_verify(
    scene: bpy.types.Scene,
    obj: bpy.types.Object,
    posed: Sequence[Subject],
    views: Sequence[View],
    *,
    avatar: str,
    preset: str,
    scale: str,
    resolution: tuple[int, int] = (384, 384),
    engine: Engine = "workbench",
    samples: int | None = None,
    tile: int = DEFAULT_TILE,
    quiet: bool = True,
    progress: Progress | None = None,
) -> tuple[Report, list[list[Cell]]]:
    """Render, read and score every subject in every view (each view's neutral face first). Returns
    the report and the contact sheet's rows (the face part of each render, with its label): one row
    per code and view, the neutral face then each level, each face ``tile`` pixels wide."""
    levels = tuple(dict.fromkeys(s.level for s in posed))
    report = Report(avatar, preset, engine, resolution, scale, levels, tuple(views), geometric=MEASURED_AUS)
    neutral = Plate("Neutral")
    plates = {s: Plate(f"{s.code} {s.level}", s.values) for s in posed}
    rows: list[list[Cell]] = []
    with tempfile.TemporaryDirectory(prefix="facs_rig_verify_") as tmp, quiet_output(quiet) as stream, \
            restored_settings(scene):
        if progress is None:
            progress = Progress(len(views) * (len(set(plates.values())) + 1), label="verify", stream=stream)
        set_resolution(scene, resolution)
        aspect = resolution[0] / resolution[1]
        tile_size: tuple[int, int] | None = None
        for view in views:
            with _viewed_from(scene, obj, view):
                pixels = render_plates(scene, obj, [neutral, *plates.values()], Path(tmp), progress,
                                       tile=resolution[0], engine=engine, samples=samples)
                region = moving_region(scene, obj)
            border = crop_border(region, aspect) if region else (0.0, 1.0, 0.0, 1.0)
            faces = {plate: crop_pixels(image, border) for plate, image in pixels.items()}
            if tile_size is None:
                first = faces[neutral]
                tile_size = (tile, max(8, round(tile * first.shape[0] / first.shape[1])))
            faces = {plate: resize(image, tile_size) for plate, image in faces.items()}
            order = [neutral, *plates.values()]
            reads, residuals = read_aus([pixels[p] for p in order])
            found = dict(zip(order, zip(reads, residuals, strict=True), strict=True))
            report.neutral[view.name] = found[neutral][0]
            by_code: dict[str, list[Cell]] = {}
            for s in posed:
                read, residual = found[plates[s]]
                trial = Trial(s, view.name, score(s, read, found[neutral][0]), residual)
                report.trials.append(trial)
                cells = by_code.setdefault(s.code, [(faces[neutral], f"Neutral {view.name}\n\n")])
                cells.append((faces[plates[s]], tile_label(trial)))
            rows += by_code.values()
    return report, rows


def write_outputs(report: Report, rows: Sequence[Sequence[Cell]], targets: Mapping[str, Path], *,
                  quiet: bool = True) -> list[Path]:
    """Write every target at once: all of them are new, or (on any failure) all are as before."""
    paths = list(targets.values())
    sheets = [p for p in paths if p.suffix.lower() == ".png"]
    with replaced_on_success(*paths) as temps, quiet_output(quiet), \
            tempfile.TemporaryDirectory(prefix="facs_rig_verify_") as tmp:
        for target, temp in zip(paths, temps, strict=True):
            kind = target.suffix.lower()
            if kind == ".json":
                temp.write_text(report_json(report), encoding="utf-8")
            elif kind == ".md":
                sheet = next((s for s in sheets if s.parent == target.parent), None)
                markdown = report_markdown(report, sheet=sheet.name if sheet else None)
                temp.write_text(markdown, encoding="utf-8")
            else:
                heading = (f"verify — {report.avatar} — {summary(report.tally())} "
                           f"(read minus neutral; OK = recognised)")
                compose_sheet(temp, rows, heading, Path(tmp), label_lines=3)
    return paths
