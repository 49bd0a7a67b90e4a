# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig live --source SRC --record take.json``: receive a live source headless.

Runs a live session (:mod:`..live`) until ``--duration`` seconds have passed, a video source has
played to its end, or Ctrl-C; prints the rate, latency and counters once a second on stderr, and
writes the recorded take as a timeline (dense tracks, or events with ``--events``) atomically,
checked as ``validate`` checks a file. See docs/live.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..core.files import check_outputs
from ..io.blendshapes import DEFAULT_PRESET
from ..io.parts import write_timeline
from ..live import Options, Session, parse_source
from .common import CliError

HELP = "receive a live face stream (Live Link Face, Face Cap, iFacialMocap, FACSvatar, video) and record it"
TICK = 0.1
"""Longest the loop waits for a frame before it looks at the clock (s); frames wake it at once."""
REPORT_EVERY = 1.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True, metavar="SRC",
                        help="llf://HOST:PORT (Live Link Face, port 11111), osc://HOST:PORT (Face Cap, "
                             "9000), ifm://HOST:PORT (iFacialMocap, 49983), zmq://HOST:PORT (FACSvatar, "
                             "5571) or video:FILE (the face reader, played at the video's rate)")
    parser.add_argument("--record", metavar="TAKE.json", help="write the take as a timeline")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    parser.add_argument("--events", action="store_true", help="cut the take's tracks into FACS events")
    parser.add_argument("--passthrough", action="store_true",
                        help="also keep the raw ARKit weights (meta.blendshapes) to drive an ARKit head 1:1")
    parser.add_argument("--smooth", action="store_true", help="One Euro smoothing")
    parser.add_argument("--mirror", action="store_true", help="swap the subject's left and right")
    parser.add_argument("--preset", default=DEFAULT_PRESET, metavar="NAME|FILE",
                        help="mapping whose inverse turns blendshapes into AUs (default arkit52)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    source = parse_source(args.source)
    if args.duration is not None and not args.duration > 0:
        raise CliError(f"--duration must be a positive number of seconds, got {args.duration}")
    target = Path(args.record) if args.record else None
    if target is not None:
        check_outputs({"--record": target}, {"video:FILE": source.path})
    session = Session(source, preset=args.preset, options=Options(smoothing=args.smooth, mirror=args.mirror),
                      passthrough=args.passthrough)
    session.start()
    if target is not None:
        session.record()
    try:
        _loop(session, args.duration, quiet=args.quiet)
    except KeyboardInterrupt:  # Ctrl-C is how a run without --duration ends: the take is kept
        pass
    finally:
        session.stop()
    status = session.status()
    if not args.quiet:
        print(status.line(), file=sys.stderr)
        if status.last_error:
            print(f"last malformed packet: {status.last_error}", file=sys.stderr)
    if target is not None:
        timeline = session.take_timeline(name=target.stem, events=args.events)
        _, targets = write_timeline(timeline, target, role="--record", inputs={"video:FILE": source.path})
        if not args.quiet:
            for final in targets:
                print(f"wrote {final}: {len(session.take or [])} frames, {len(timeline.tracks)} tracks, "
                      f"{len(timeline.events)} events")
    return 0


def _loop(session: Session, duration: float | None, *, quiet: bool) -> None:
    start = last_report = time.perf_counter()
    while duration is None or time.perf_counter() - start < duration:
        if session.poll() is not None:
            session.applied()
        elif session.receiver.finished and not session.receiver.running:
            session.poll()
            return
        now = time.perf_counter()
        if not quiet and now - last_report >= REPORT_EVERY:
            print(session.status().line(), file=sys.stderr)
            last_report = now
        session.receiver.wait(TICK)
