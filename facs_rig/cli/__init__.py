# SPDX-License-Identifier: GPL-3.0-or-later
"""Command-line entry: one module per subcommand, each with ``HELP``, ``configure(parser)`` and
``run(args) -> int``, so commands stay independent and bpy is imported only by those that need it."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..core.errors import FacsError
from ..core.interrupt import Interrupted, stop_on_signals
from ..paths import version

COMMANDS = ("validate", "info", "rig", "animate", "render", "atlas", "batch", "convert", "verify", "live")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m facs_rig",
        description="Rig and animate faces with the Facial Action Coding System (FACS).",
    )
    parser.add_argument("--version", action="version", version=f"facs_rig {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f".{name}", __package__)
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(cmd)
        cmd.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    interrupted = f"facs_rig {args.command}: interrupted"
    try:
        with stop_on_signals(interrupted):  # Ctrl-C and SIGTERM: unfinished outputs removed
            return int(args.run(args))
    except FacsError as exc:  # every project error: bad input, said in one line, no traceback
        message = " / ".join(line for line in str(exc).splitlines() if line.strip())
        print(f"facs_rig {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(interrupted, file=sys.stderr)
        return exc.status if isinstance(exc, Interrupted) else 130
