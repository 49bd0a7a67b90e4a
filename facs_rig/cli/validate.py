# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig validate``."""

from __future__ import annotations

import argparse

from .common import CliError

HELP = "(validate: not available yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    raise CliError("'validate' is not available yet")
