# SPDX-License-Identifier: GPL-3.0-or-later
"""Contact sheet of the default avatar: neutral and the seven basic emotions, set directly with
shape-key weights, rendered with Workbench and with Cycles into one labelled grid per engine.
``--identities`` instead renders twelve identities (both sexes, ages 20, 45 and 70, the three
ethnic groups) in neutral, happiness and surprise; ``--lids`` those and the default head with the
eyes closed (AU 43), close up.

The weights follow the FACS prototypes (shared/FACS.md section 5) through the ARKit table (section 6):
happiness 6+12, sadness 1+4+15, surprise 1+2+5B+26, fear 1+2+4+5+20+26 (with MakeHuman's platysma
unit for the neck), anger 4+5+7+23, disgust 9+15+16, contempt R12A+R14A.

Run: ``.venv/bin/python tools/contact_sheet.py`` -> ``out/contact_sheet_workbench.png`` and
``out/contact_sheet_cycles.png``; ``--identities --engines workbench --size 160x200`` ->
``out/identities_workbench.png`` (the README's sheet, ``docs/identities.png``); ``--lids --engines
workbench`` -> ``out/identities_lids_workbench.png`` (``docs/identities_lids.png``): every head's closed
eyes, close up.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bpy
from bpy_extras.object_utils import world_to_camera_view

from facs_rig.blender.atlas import render_text
from facs_rig.blender.avatar import Avatar, create_default_avatar
from facs_rig.blender.render_images import read_png, write_png
from facs_rig.render.atlas import crop_pixels, resize

BOTH = ("Left", "Right")
EXPRESSIONS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happiness": {
        **{f"cheekSquint{s}": 0.8 for s in BOTH},
        **{f"mouthSmile{s}": 0.9 for s in BOTH},
        **{f"eyeSquint{s}": 0.25 for s in BOTH},
    },
    "sadness": {
        "browInnerUp": 0.9,
        **{f"browDown{s}": 0.35 for s in BOTH},
        **{f"mouthFrown{s}": 0.8 for s in BOTH},
        "mouthShrugLower": 0.3,
        **{f"eyeBlink{s}": 0.15 for s in BOTH},
    },
    "surprise": {
        "browInnerUp": 1.0,
        **{f"browOuterUp{s}": 1.0 for s in BOTH},
        **{f"eyeWide{s}": 0.6 for s in BOTH},
        "jawOpen": 0.45,
    },
    "fear": {
        "browInnerUp": 0.9,
        **{f"browOuterUp{s}": 0.5 for s in BOTH},
        **{f"browDown{s}": 0.35 for s in BOTH},
        **{f"eyeWide{s}": 0.9 for s in BOTH},
        **{f"mouthStretch{s}": 0.7 for s in BOTH},
        "jawOpen": 0.25,
        "mh_neck-platysma": 0.6,
    },
    "anger": {
        **{f"browDown{s}": 1.0 for s in BOTH},
        **{f"eyeWide{s}": 0.25 for s in BOTH},
        **{f"eyeSquint{s}": 0.5 for s in BOTH},
        **{f"mouthPress{s}": 0.7 for s in BOTH},
        **{f"mouthFrown{s}": 0.2 for s in BOTH},
    },
    "disgust": {
        **{f"noseSneer{s}": 1.0 for s in BOTH},
        **{f"mouthUpperUp{s}": 0.6 for s in BOTH},
        **{f"mouthFrown{s}": 0.5 for s in BOTH},
        **{f"mouthLowerDown{s}": 0.4 for s in BOTH},
        **{f"browDown{s}": 0.3 for s in BOTH},
        **{f"cheekSquint{s}": 0.3 for s in BOTH},
    },
    "contempt": {"mouthSmileRight": 0.45, "mouthDimpleRight": 0.6},
    "eye closure": {f"eyeBlink{s}": 1.0 for s in BOTH},
}
"""The sheets' expressions; the default sheet shows all but eye closure (AU 43, the lids sheet)."""
EMOTIONS = tuple(name for name in EXPRESSIONS if name != "eye closure")
COLUMNS = 4
LIDS_RENDER, LIDS_CELL = (1600, 1600), (480, 120)
"""The lids sheet: render size, then each crop around the eyes resized to the cell size."""
LABEL_BAND = 0.12
"""Height of the label band under each cell, as a share of the cell's height."""
IDENTITY_EXPRESSIONS = ("neutral", "happiness", "surprise")
SEXES = {"F": 0.0, "M": 1.0}
IDENTITIES = tuple(
    (f"{sex} {age} {group}", f"gender={SEXES[sex]},age={age},{group}=1")
    for group, people in (
        ("african", ("F20", "M20", "F45", "M70")),
        ("asian", ("F45", "M45", "F70", "M20")),
        ("caucasian", ("F70", "M70", "F20", "M45")),
    )
    for sex, age in ((person[0], int(person[1:])) for person in people)
)
"""Every sex-and-age pair twice, each ethnic group with two women and two men."""


def eye_border(scene: bpy.types.Scene, avatar: Avatar) -> tuple[float, float, float, float]:
    """The part of the camera frame around both eyes, ``(x0, x1, y0, y1)`` in 0..1 with y up (as
    :func:`crop_pixels` takes it): 2.2 times as wide as the distance between their centres, 0.55
    times that distance tall (0.3 above their centres), centred between them."""
    bones, world = avatar.rig.data.bones, avatar.rig.matrix_world
    a, b = (world_to_camera_view(scene, avatar.camera, world @ bones[eye].head_local)
            for eye in ("eye.L", "eye.R"))
    apart, middle, y = abs(a.x - b.x), (a.x + b.x) / 2, (a.y + b.y) / 2
    tall = apart * scene.render.resolution_x / scene.render.resolution_y  # in heights of the frame
    return middle - 1.1 * apart, middle + 1.1 * apart, y - 0.25 * tall, y + 0.3 * tall


def render_cells(
    engine: str, size: tuple[int, int], samples: int, variant: str | None, *, identity: str = "",
    expressions: tuple[str, ...] = EMOTIONS, eyes: tuple[int, int] | None = None,
) -> list[np.ndarray]:
    """One render per expression, top row first (``(h, w, 4)`` RGBA); with ``eyes`` (a cell size),
    each cropped to the eyes and resized to it."""
    bpy.ops.wm.read_homefile(use_empty=True)
    avatar = create_default_avatar(bpy.context, variant=variant, identity=identity)
    scene = bpy.context.scene
    scene.render.resolution_x, scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    if engine == "CYCLES":
        scene.render.engine = "CYCLES"
        scene.cycles.device = "CPU"
        scene.cycles.samples = samples
        scene.cycles.use_denoising = True
    else:
        scene.render.engine = "BLENDER_WORKBENCH"
        scene.display.shading.light = "STUDIO"
    keys = avatar.mesh.data.shape_keys.key_blocks
    cells = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in expressions:
            weights = EXPRESSIONS[name]
            for key in keys[1:]:
                key.value = weights.get(key.name, 0.0)
            missing = sorted(set(weights) - set(keys.keys()))
            if missing:
                sys.exit(f"contact_sheet: the avatar has no shape keys {missing}")
            scene.render.filepath = str(Path(tmp) / f"{name}.png")
            bpy.ops.render.render(write_still=True)
            pixels = read_png(scene.render.filepath)
            if eyes:
                pixels = resize(crop_pixels(pixels, eye_border(scene, avatar)), eyes)
            cells.append(pixels)
    return cells


def save_grid(cells: list[np.ndarray], labels: list[str], path: Path, columns: int = COLUMNS) -> None:
    """The cells in rows of ``columns``, each with its label in a white band of its own under it
    (drawn by the atlas's text renderer), so no caption covers a face."""
    h, w = cells[0].shape[:2]
    band = max(24, round(h * LABEL_BAND))
    with tempfile.TemporaryDirectory() as tmp:
        texts = render_text([(text, w, band, band * 0.45) for text in labels], Path(tmp))
    rows = math.ceil(len(cells) / columns)
    grid = np.ones((rows * (h + band), columns * w, 4), dtype=np.float32)
    for i, (cell, ink) in enumerate(zip(cells, texts, strict=True)):
        r, c = divmod(i, columns)
        top, left = r * (h + band), c * w
        grid[top:top + h, left:left + w] = cell
        grid[top + h:top + h + band, left:left + w, :3] = 1.0 - ink[..., None]
    write_png(path, grid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=Path("out"))
    parser.add_argument(
        "--engines", nargs="+", default=["workbench", "cycles"], choices=["workbench", "cycles"]
    )
    parser.add_argument("--size", default="360x450", help="cell size WxH in pixels")
    parser.add_argument("--samples", type=int, default=32, help="Cycles samples per cell")
    parser.add_argument("--variant", help="expression-unit variant (default: the asset's, 'mixed')")
    parser.add_argument("--identity", default="", help="one identity, e.g. gender=0.2,age=67,african=1")
    parser.add_argument("--identities", action="store_true",
                        help="twelve identities x neutral, happiness, surprise instead of the emotions")
    parser.add_argument("--lids", action="store_true",
                        help="the default head and the twelve identities with closed eyes (AU 43), cropped "
                             "to the eyes")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    for engine in args.engines:
        start = time.perf_counter()
        blender_engine = engine.upper() if engine == "cycles" else "WORKBENCH"
        if args.lids:
            heads = [("default head", ""), *IDENTITIES]
            cells = [cell for _title, text in heads
                     for cell in render_cells(blender_engine, LIDS_RENDER, args.samples, args.variant,
                                              identity=text, expressions=("eye closure",), eyes=LIDS_CELL)]
            path = args.output_dir / f"identities_lids_{engine}.png"
            save_grid(cells, [f"{title}: AU 43" for title, _text in heads], path, columns=3)
        elif args.identities:
            cells = [cell for _title, text in IDENTITIES
                     for cell in render_cells(blender_engine, size, args.samples, args.variant, identity=text,
                                              expressions=IDENTITY_EXPRESSIONS)]
            labels = [f"{title}: {name}" for title, _text in IDENTITIES for name in IDENTITY_EXPRESSIONS]
            path = args.output_dir / f"identities_{engine}.png"
            save_grid(cells, labels, path, columns=2 * len(IDENTITY_EXPRESSIONS))
        else:
            cells = render_cells(blender_engine, size, args.samples, args.variant, identity=args.identity)
            path = args.output_dir / f"contact_sheet_{engine}.png"
            save_grid(cells, list(EMOTIONS), path)
        print(f"contact_sheet: {path} ({len(cells)} cells, {time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
