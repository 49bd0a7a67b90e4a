# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig atlas``: a labelled contact sheet of action units, like the FACS manual's
plates: each AU at the chosen intensities beside the neutral face."""

from __future__ import annotations

import argparse
import re

from ..core.catalogue import normalise_au
from ..core.errors import FacsError
from ..core.files import check_outputs
from ..core.intensity import LETTERS, SCALES
from ..render.atlas import rig_aus
from ..render.job import ENGINES
from .common import VERBOSE_HELP, CliError, add_avatar_options, require_bpy

HELP = "render a labelled contact sheet of action units (PNG)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, metavar="ATLAS.png", help="PNG file to write")
    add_avatar_options(parser, camera=True)
    parser.add_argument("--aus", type=_aus, metavar="1,2,4,...|all",
                        help="AUs to show (default: every face AU the rig has; 'all' adds head and eyes)")
    parser.add_argument("--levels", type=parse_levels, default=("A", "C", "E"), metavar="A,C,E",
                        help="intensities to show beside the neutral face (default: A,C,E)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="facs",
                        help="intensity scale turning letters into rig values (default: facs)")
    parser.add_argument("--tile", type=int, default=256, metavar="PX",
                        help="tile width in pixels (default 256)")
    parser.add_argument("--engine", choices=ENGINES, default="workbench",
                        help="render engine (default workbench)")
    parser.add_argument("--full-frame", action="store_true",
                        help="show the whole camera view instead of the part where the face moves")
    parser.add_argument("--samples", type=int, metavar="N", help="render samples")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)


def _aus(text: str) -> tuple[int, ...] | str:
    if text.strip().lower() == "all":
        return "all"
    try:
        return tuple(normalise_au(part)[0] for part in re.split(r"[,\s+]+", text.strip()) if part)
    except FacsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_levels(text: str) -> tuple[str, ...]:
    levels = tuple(part.strip().upper() for part in text.split(",") if part.strip())
    bad = [level for level in levels if level not in LETTERS]
    if bad or not levels:
        raise argparse.ArgumentTypeError(f"{text!r}: use intensity letters A to E, e.g. A,C,E")
    return levels


def run(args: argparse.Namespace) -> int:
    if not args.output.lower().endswith(".png"):
        raise CliError(f"{args.output}: the atlas is a PNG image; give a path ending in .png")
    if not 32 <= args.tile <= 2048:
        raise CliError(f"--tile {args.tile}: use 32 to 2048 pixels")
    check_outputs({"-o": args.output}, {"--avatar": None if args.avatar == "default" else args.avatar})
    require_bpy()
    from ..blender.atlas import render_atlas
    from ..blender.render import control_names
    from ..blender.render_job import open_rigged

    try:
        prepared = open_rigged(args.avatar, args.preset, camera=args.camera, identity=args.identity,
                               quiet=not args.verbose)
        face = prepared.faces[0]
        aus = rig_aus(control_names(face), kinds=None) if args.aus == "all" else args.aus
        path = render_atlas(prepared.scene, args.output, obj=face, aus=aus, levels=args.levels,
                            scale=args.scale, tile=args.tile, engine=args.engine, samples=args.samples,
                            crop=not args.full_frame, quiet=not args.verbose)
    except (OSError, RuntimeError) as exc:  # the disk or Blender refused to write
        raise CliError(f"{args.output}: cannot write: {str(exc).strip().splitlines()[-1]}") from None
    print(f"wrote {path}")
    return 0
