# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m facs_rig render``."""

from __future__ import annotations

import argparse

from .common import CliError

HELP = "(render: not available yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    raise CliError("'render' is not available yet")
