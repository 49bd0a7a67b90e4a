# SPDX-License-Identifier: GPL-3.0-or-later
"""Pieces shared by the subcommands."""

from __future__ import annotations

import argparse
from types import ModuleType

from ..core.errors import FacsError
from ..io.identity import DEFAULT, default_head_details, parse_identity


class CliError(FacsError):
    """A mistake in the command line itself (an option, a combination of them); like every
    :class:`FacsError` the CLI reports it in one line (no traceback), exit status 2."""


def require_bpy() -> ModuleType:
    """Import bpy on demand so pure commands (validate, convert) work without Blender installed."""
    try:
        import bpy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CliError(
            "this command needs Blender's Python module: run it inside the project's .venv "
            "(make demo or make test create it) or install bpy"
        ) from exc
    return bpy


IDENTITY_HELP = ("identity of the default head: NAME=VALUE pairs such as gender=0.2,age=67,african=1 "
                 "(gender, age, african, asian, caucasian, muscle, weight, MakeHuman face details), or "
                 "random:SEED (docs/avatar.md)")
AVATAR_HELP = "'default' for the built-in FACS Head, or a .blend/.glb/.gltf/.fbx/.obj file"
VERBOSE_HELP = "show Blender's and the face reader's own output (importers, saving, renders)"
PRESET_HELP = "mapping preset: a built-in name, a JSON file, or 'auto' for the one that fits best"


def add_avatar_options(
    parser: argparse.ArgumentParser, *, required: bool = False, camera: bool = False
) -> None:
    """``--avatar`` and ``--preset`` (and ``--camera`` for commands that render), spelled and
    explained the same in every command."""
    if required:
        parser.add_argument("--avatar", required=True, metavar="default|FILE", help=AVATAR_HELP)
    else:
        parser.add_argument("--avatar", default="default", metavar="default|FILE", help=AVATAR_HELP)
    parser.add_argument("--preset", default="auto", metavar="auto|NAME|FILE", help=PRESET_HELP)
    parser.add_argument("--identity", default="", type=identity_text, metavar="NAME=V,...|random:SEED",
                        help=IDENTITY_HELP)
    if camera:
        parser.add_argument("--camera", default="", metavar="NAME",
                            help="camera object in the avatar file to render from (default: the file's "
                                 "camera, or a portrait camera framed on the face when it has none)")


def identity_text(text: str) -> str:
    """An identity checked against the default head's parameters, as the parameters it stands for
    (``random:7`` becomes its draw), so what is recorded reads back as the same head. argparse
    converts the option's default too, which is the default head: no asset is read for it."""
    if not text:
        return DEFAULT.text
    try:
        return parse_identity(text, default_head_details()).text
    except FacsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
