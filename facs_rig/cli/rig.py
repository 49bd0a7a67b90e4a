# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig rig HEAD -o rigged.blend``: give a head without face shapes the 52 ARKit keys
and MakeHuman's units, eye and jaw pivots and the AU rig, and save it (docs/rig_any_head.md).

The landmark file is read and checked before Blender starts; the head file is only read, and the
output is written whole or not at all."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.files import check_outputs
from ..core.jsondoc import read_document
from ..core.quiet import quiet_output
from ..core.warp import parse_landmarks
from .common import PRESET_HELP, VERBOSE_HELP, CliError, require_bpy

HELP = "generate the FACS/ARKit face shapes on a head that has none, rig it and save a .blend"
PREVIEW_AUS = (1, 2, 12, 26, 43)
"""The preview's rows: brow raise (1, 2), smile, jaw drop, blink."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("head", metavar="HEAD", help="a .blend/.glb/.gltf/.fbx/.obj file with a head mesh")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.blend", help=".blend file to write")
    parser.add_argument(
        "--object",
        default="",
        metavar="NAME",
        help="the face mesh in the file (default: the mesh with the most vertices)",
    )
    parser.add_argument(
        "--landmarks",
        default=None,
        metavar="L.json",
        help="landmarks placed by hand, where the face is not found: a JSON object of "
        "landmark name (nose_tip, chin, eye_outer.L, ... or MediaPipe's number 0-477) "
        "-> vertex index or [x, y, z] in the mesh's coordinates",
    )
    parser.add_argument("--preset", default="auto", metavar="auto|NAME|FILE", help=PRESET_HELP)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace shape keys of the same names the head already has (kept by default)",
    )
    parser.add_argument(
        "--preview",
        default=None,
        metavar="OUT.png",
        help="also render an atlas of brow raise, smile, jaw drop and blink",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)


def run(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.suffix.lower() != ".blend":
        raise CliError(f"{output}: the output must be a .blend file")
    if args.preview is not None and Path(args.preview).suffix.lower() != ".png":
        raise CliError(f"{args.preview}: the preview is a .png image")
    check_outputs(
        {"-o": output, "--preview": args.preview}, {"HEAD": args.head, "--landmarks": args.landmarks}
    )
    landmarks = None
    if args.landmarks is not None:
        landmarks = parse_landmarks(read_document(args.landmarks, what="landmark file"), args.landmarks)
    bpy = require_bpy()
    from ..blender.rig import build_rig
    from ..blender.rig_files import generate_face_shapes, open_avatar, save_blend

    with quiet_output(not args.verbose):  # importers, the reader and saving print from C
        opened = open_avatar(args.head, args.object, generate=False)
        generated = generate_face_shapes(
            opened.mesh, opened.armature, landmarks=landmarks, overwrite=args.overwrite
        )
        report = build_rig(opened.mesh, args.preset, armature=generated.armature)
        save_blend(output)
    print(generated.summary())
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(report.summary())
    print(f"wrote {output}")
    if args.preview is not None:
        from ..blender.atlas import render_atlas
        from ..blender.avatar_studio import portrait_camera

        scene = bpy.context.scene
        with quiet_output(not args.verbose):
            portrait_camera(scene, opened.mesh, generated.armature)
        atlas = render_atlas(scene, args.preview, obj=opened.mesh, aus=PREVIEW_AUS, levels=("E",),
                             quiet=not args.verbose)
        print(f"wrote {atlas}")
    return 0
