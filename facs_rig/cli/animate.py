# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig animate``: rig an avatar, apply a timeline, save a .blend.

The timeline is read and checked before Blender starts working, so a bad file costs nothing and
names its problem (file, JSON path). The saved .blend needs no add-on to play: the rig is custom
properties and simple-expression drivers, the animation plain F-curves.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.files import check_outputs
from ..core.quiet import quiet_output
from ..core.timeline import load
from .common import VERBOSE_HELP, CliError, add_avatar_options, require_bpy

HELP = "rig an avatar, animate it with a timeline and save a .blend"


def configure(parser: argparse.ArgumentParser) -> None:
    add_avatar_options(parser)
    parser.add_argument("--object", default="", metavar="NAME",
                        help="mesh to rig in the avatar file (default: the mesh with the most shape keys)")
    parser.add_argument("--timeline", required=True, metavar="T.json", help="facs-timeline JSON file")
    parser.add_argument("--bake", action="store_true",
                        help="also bake per-frame shape-key and bone curves (drivers muted)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.blend", help=".blend file to write")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)


def run(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.suffix.lower() != ".blend":
        raise CliError(f"{output}: the output must be a .blend file")
    avatar = None if args.avatar == "default" else args.avatar
    check_outputs({"-o": output}, {"--timeline": args.timeline, "--avatar": avatar})
    timeline = load(args.timeline)
    bpy = require_bpy()
    from ..blender import keyframer
    from ..blender.rig import build_rig
    from ..blender.rig_files import open_avatar, save_blend

    with quiet_output(not args.verbose):  # importers, the face reader and saving print from C
        opened = open_avatar(args.avatar, args.object, studio=True, identity=args.identity)
        mesh = opened.mesh
        rig_report = build_rig(mesh, args.preset, armature=opened.armature)
        result = keyframer.apply_timeline(mesh, timeline, mode="BAKE" if args.bake else "LIVE",
                                          scene=bpy.context.scene, set_scene_range=True)
        save_blend(output)
    for warning in [*rig_report.warnings, *result.warnings]:
        print(f"warning: {warning}")
    print(rig_report.summary())
    print(f"{mesh.name}: {result.summary()}")
    print(f"wrote {output}")
    return 0
