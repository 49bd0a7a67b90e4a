# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig render``: an avatar performing a timeline, to MP4, PNG frames or one PNG.

``-o out.mp4`` writes H.264 video, ``-o out/frames`` (a folder) a PNG sequence, ``-o face.png`` one
frame (with a timeline and no ``--frames``: the frame where the face moves most). ``--labels``
writes the AU values of every rendered frame as an OpenFace-style CSV (ground truth for AU
detectors). A rigged .blend renders as it is, its own animation included, when no timeline is
given; farm workers need no add-on for that.
"""

from __future__ import annotations

import argparse
import sys

from ..render.job import ENGINES, JobError, RenderJob, parse_frames, parse_resolution
from .common import VERBOSE_HELP, CliError, add_avatar_options, require_bpy

HELP = "render an avatar performing a timeline to MP4, PNG frames or a PNG"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="OUT.mp4 (H.264 video), a folder (PNG sequence) or OUT.png (one frame)")
    parser.add_argument("--timeline", metavar="T.json", help="facs-timeline JSON file to perform")
    add_avatar_options(parser, camera=True)
    parser.add_argument("--engine", choices=ENGINES,
                        help="render engine (default: workbench for the default avatar and .glb/.gltf/.fbx/"
                             ".obj files, the .blend's own engine otherwise)")
    parser.add_argument("--resolution", type=_parsed(parse_resolution), metavar="WxH",
                        help="image size, e.g. 512x512 (default: 512x512 for the default avatar and "
                             ".glb/.gltf/.fbx/.obj files, the .blend's own otherwise)")
    parser.add_argument("--frames", type=_parsed(parse_frames), metavar="A-B",
                        help="frame range, or one frame N (default: the whole timeline)")
    parser.add_argument("--samples", type=int, metavar="N",
                        help="render samples (Cycles, EEVEE) or anti-aliasing samples (Workbench)")
    parser.add_argument("--labels", metavar="LABELS.csv",
                        help="write each frame's AU values (OpenFace columns, 0-5) to this CSV")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)


def _parsed(parse):
    def convert(text: str):
        try:
            return parse(text)
        except JobError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def job_from_args(args: argparse.Namespace) -> RenderJob:
    job = RenderJob(
        output=args.output, avatar=args.avatar, timeline=args.timeline, preset=args.preset,
        engine=args.engine, resolution=args.resolution, frames=args.frames, samples=args.samples,
        labels=args.labels, camera=args.camera, identity=args.identity,
    )
    job.check_files()
    return job


def run(args: argparse.Namespace) -> int:
    job = job_from_args(args)
    if job.timeline is None and job.avatar == "default":
        raise CliError("the default avatar has no animation of its own: give --timeline T.json")
    require_bpy()
    from ..blender.render_job import run_render_job

    try:
        result = run_render_job(job, quiet=not args.verbose)
    except (OSError, RuntimeError) as exc:  # the disk or Blender refused to write
        raise CliError(f"{job.output}: cannot write: {str(exc).strip().splitlines()[-1]}") from None
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    assert result.frames is not None and result.resolution is not None  # a rendered job has both
    first, last = result.frames
    frames = f"frame {first}" if first == last else f"frames {first}-{last}"
    print(f"wrote {result.output} ({frames}, {result.engine}, "
          f"{result.resolution[0]}x{result.resolution[1]}, {result.seconds} s)")
    if result.labels:
        print(f"wrote {result.labels} (AU labels)")
    return 0
