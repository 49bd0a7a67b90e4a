# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig verify``: the closed loop. Render the avatar at each AU code (and emotion
prototype), level and view, read each render with the built-in face reader, and report what was
read back: the intended AUs, the strongest unintended ones, the side of one-sided codes and a
recognised/missed verdict (rule in docs/verify.md).

``-o`` takes REPORT.json, REPORT.md, SHEET.png, or a base name without one of those suffixes for
all three; it may be given several times. Everything is checked before the first render, and the
files are written together at the end (all new, or all as before).
"""

from __future__ import annotations

import argparse
import sys

from ..core.codes import parse_code
from ..core.errors import FacsError
from ..core.expressions import expression_info
from ..core.files import check_outputs
from ..core.intensity import SCALES, scale_from_spec
from ..core.mapping.presets import preset_path
from ..render.job import ENGINES, JobError, parse_resolution
from ..render.verify import (
    ATLAS_SET,
    DEFAULT_VIEWS,
    View,
    output_targets,
    parse_views,
    prototypes,
    sections,
    subjects,
    summary,
)
from .atlas import parse_levels
from .common import VERBOSE_HELP, CliError, add_avatar_options, require_bpy

HELP = "render, read back and score every AU code: does the avatar show what it is asked to?"


def _codes(text: str) -> tuple[str, ...]:
    """``1+2,4,R12``; each code is parsed now so a bad one fails before Blender starts."""
    if text.strip().lower() == "all":
        return ("all",)
    codes = tuple(part.strip() for part in text.split(",") if part.strip())
    try:
        for code in codes:
            parse_code(code)
    except FacsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not codes:
        raise argparse.ArgumentTypeError("give at least one code, e.g. 1+2,12,R12")
    return codes


def _expressions(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "none":
        return ()
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    try:
        return tuple(expression_info(name).name for name in names)
    except FacsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _views(text: str) -> tuple[View, ...]:
    try:
        return parse_views(text)
    except FacsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _resolution(text: str) -> tuple[int, int]:
    try:
        return parse_resolution(text)
    except JobError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, action="append", metavar="OUT",
                        help="REPORT.json, REPORT.md, SHEET.png, or a base name for all three; repeatable")
    add_avatar_options(parser)
    parser.add_argument("--aus", type=_codes, default=ATLAS_SET, metavar="1+2,4,R12,...|all",
                        help="AU codes to check, each a code such as 1+2 or R12 (default: the atlas set "
                             f"{','.join(ATLAS_SET)}; 'all': every face AU the rig has)")
    parser.add_argument("--expressions", type=_expressions, default=None, metavar="NAMES|none",
                        help="expressions to check too (default: the emotion prototypes)")
    parser.add_argument("--levels", type=parse_levels, default=("C", "E"), metavar="C,E",
                        help="intensity letters to pose (default: C,E; letters written in a code win)")
    parser.add_argument("--views", type=_views, default=parse_views(",".join(DEFAULT_VIEWS)),
                        metavar="front,left30,right30",
                        help="camera views: front, leftN, rightN (N degrees towards that side of the "
                             "subject, 1-60; default: front)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="facs",
                        help="intensity scale turning letters into rig values (default: facs)")
    parser.add_argument("--engine", choices=ENGINES, default="workbench",
                        help="render engine (default workbench)")
    parser.add_argument("--resolution", type=_resolution, default=(384, 384), metavar="WxH",
                        help="render size the reader reads (default 384x384)")
    parser.add_argument("--tile", type=int, default=256, metavar="PX",
                        help="width of a face on the contact sheet (default 256; the reader reads the "
                             "full render)")
    parser.add_argument("--samples", type=int, metavar="N", help="render samples")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)


def run(args: argparse.Namespace) -> int:
    if not 32 <= args.tile <= 2048:
        raise CliError(f"--tile {args.tile}: use 32 to 2048 pixels")
    targets = output_targets(args.output)
    avatar = None if args.avatar == "default" else args.avatar
    check_outputs(targets, {"--avatar": avatar, "--preset": preset_path(args.preset)})
    expressions = prototypes() if args.expressions is None else args.expressions
    require_bpy()
    from ..blender.render import control_names
    from ..blender.render_job import open_rigged
    from ..blender.rig import rig_info
    from ..blender.verify import run_verify, write_outputs
    from ..render.atlas import rig_aus

    try:
        prepared = open_rigged(args.avatar, args.preset, identity=args.identity, quiet=not args.verbose)
        face = prepared.faces[0]
        controls = control_names(face)
        codes = [str(au) for au in rig_aus(controls)] if args.aus == ("all",) else list(args.aus)
        posed = subjects(codes, expressions, args.levels, scale_from_spec(args.scale), controls)
        record = rig_info(face)
        preset = record.preset if record else args.preset
        report, rows = run_verify(prepared.scene, face, posed, args.views, avatar=args.avatar, preset=preset,
                                  scale=args.scale, resolution=args.resolution, engine=args.engine,
                                  samples=args.samples, tile=args.tile, quiet=not args.verbose)
        paths = write_outputs(report, rows, targets, quiet=not args.verbose)
    except (OSError, RuntimeError) as exc:  # the disk or Blender refused to write
        raise CliError(f"cannot write the report: {str(exc).strip().splitlines()[-1]}") from None
    for view, level, kind in sections(report):
        counts = report.tally(view=view, level=level, expression=kind)
        print(f"{view} {level} {'expressions' if kind else 'codes'}: {summary(counts)}", file=sys.stderr)
    for path in paths:
        print(f"wrote {path}")
    return 0
