# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig validate FILE...``: check timeline files without Blender.

One line per problem (``FILE: events[3].apex: ...``) so editors and CI logs can jump to it; a
one-line summary per valid file. Exit status 1 when any file is invalid.
"""

from __future__ import annotations

import argparse
import sys

from ..core.catalogue import channels_for_side
from ..core.errors import TimelineError
from ..core.model import Event, Timeline, Track, control_name
from ..core.timeline import load, time_span

HELP = "check facs-timeline JSON files and list every problem"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="timeline files (.json)")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="print problems only, no summaries")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _secs(x: float) -> str:
    return f"{round(x, 3):g}"


def summary(timeline: Timeline) -> str:
    """What a valid file holds, in one line:
    ``12 events (20 per AU and side), 9 AUs (14 controls), 0–12 s (12 s), 1 track``."""
    start, end = time_span(timeline)
    aus = {e.au for e in timeline.events} | {t.au for t in timeline.tracks}
    moves: list[Event | Track] = [*timeline.events, *timeline.tracks]
    controls = {control_name(e.au, ch) for e in moves
                for ch in channels_for_side(e.au, e.side)}
    sources = {e.source for e in timeline.events}
    parts = [f"{_count(len(sources), 'event')} ({len(timeline.events)} per AU and side)",
             f"{_count(len(aus), 'AU')} ({_count(len(controls), 'control')})",
             f"{_secs(start)}–{_secs(end)} s ({_secs(end - start)} s)"]
    if timeline.tracks:
        parts.append(_count(len(timeline.tracks), "track"))
    if timeline.warnings:
        parts.append(_count(len(timeline.warnings), "warning"))
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    invalid = 0
    for name in args.files:
        try:
            timeline = load(name)
        except TimelineError as exc:
            invalid += 1
            for line in exc.lines():
                print(line)
            continue
        for warning in timeline.warnings:
            print(f"{name}: warning: {warning}")
        if args.strict and timeline.warnings:
            invalid += 1
            print(f"{name}: invalid: warnings count as errors with --strict")
        elif not args.quiet:
            print(f"{name}: valid: {summary(timeline)}")
    if invalid and len(args.files) > 1:
        print(f"{invalid} of {len(args.files)} files invalid", file=sys.stderr)
    return 1 if invalid else 0
