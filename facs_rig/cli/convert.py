# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig convert INPUT -o OUT.json``: tracker exports and event sheets to timelines.

Reads OpenFace, py-feat, Live Link Face, Audio2Face, MediaPipe and CASME II / SAMM event sheets
(see docs/importers.md), prints what it found, and writes the timeline only after the whole file
was read and the result checked as ``validate`` checks it, atomically, so a bad input never leaves a
half-written output. A take too long for one timeline is written as consecutive parts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import FacsError
from ..core.files import check_outputs
from ..core.quiet import quiet_output
from ..core.timeline import MAX_BYTES
from ..core.timing import MAX_FRAME, time_span
from ..io import FORMAT_IDS, read_any
from ..io.formats import is_media
from ..io.importer import ImportResult, build
from ..io.parts import write_timeline
from ..reader import FaceChoice, parse_face, read_media
from ..render.progress import Progress

HELP = "convert tracker output or an event sheet (OpenFace, py-feat, Live Link Face, ...) to a timeline"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="INPUT",
                        help="file to read (.csv, .json, .pbtxt), or a video (.mp4 .mov .mkv .avi .webm), an "
                             "image (.png .jpg) or a folder of images for the built-in face reader")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.json", help="timeline file to write")
    parser.add_argument("--from", dest="fmt", choices=("auto", *FORMAT_IDS), default="auto",
                        help="input format (default: detected from the contents)")
    parser.add_argument("--events", action="store_true",
                        help="cut dense tracks into FACS events (a compact timeline; prints the RMS "
                             "difference)")
    parser.add_argument("--min-confidence", type=float, default=0.8, metavar="X",
                        help="OpenFace/py-feat frames below this confidence become gaps (default 0.8)")
    parser.add_argument("--fps", type=float, metavar="RATE",
                        help="frame rate for files that store frame numbers only (py-feat, event sheets) "
                             "and for folders of images")
    parser.add_argument("--clip", help="import only this clip of an event sheet (Filename or "
                                       "Subject/Filename)")
    parser.add_argument("--preset", default="arkit52", metavar="NAME|FILE",
                        help="mapping whose inverse turns blendshapes into AUs (default arkit52)")
    parser.add_argument("--face", type=_face, default="largest", metavar="largest|N",
                        help="videos and images: the face to follow, the largest or the N-th from the left "
                             "(default largest)")
    parser.add_argument("--blendshapes", action="store_true",
                        help="videos and images: also keep the reader's raw ARKit scores in the "
                             "timeline's meta")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    source, target = Path(args.input), Path(args.output)
    check_outputs({"-o": target}, {"INPUT": source})
    if args.fmt == "auto" and is_media(source):
        with quiet_output(args.quiet):  # MediaPipe and TensorFlow Lite log to stderr from C
            result = _read_media(source, args)
    else:
        result = read_any(source, fmt=args.fmt, events=args.events, min_confidence=args.min_confidence,
                          fps=args.fps, clip=args.clip, preset=args.preset)
    parts, targets = write_timeline(result.timeline, target, role="-o", inputs={"INPUT": source})
    if not args.quiet:
        for line in result.report.lines():
            print(line)
        if len(parts) > 1:
            print(f"split into {len(parts)} timelines of {time_span(parts[0])[1]:.0f} s each, so that each "
                  f"fits the {MAX_BYTES // 2**20} MiB timeline limit and Blender's {MAX_FRAME:,} frames")
        for final in targets:
            print(f"wrote {final}")
    return 0


def _face(text: str) -> FaceChoice:
    try:
        return parse_face(text)
    except FacsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _read_media(source: Path, args: argparse.Namespace) -> ImportResult:
    """The face reader, with frames, frames/s and time left on stderr."""
    progress = Progress(0, label="read", stream=None if args.quiet else sys.stderr)

    def step(done: int, expected: int) -> None:
        progress.total = expected
        progress.frame_done()

    capture = read_media(source, face=args.face, fps=args.fps, blendshapes=args.blendshapes, progress=step)
    return build(capture, events=args.events, preset=args.preset)
