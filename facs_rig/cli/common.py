# SPDX-License-Identifier: GPL-3.0-or-later
"""Pieces shared by the subcommands."""

from __future__ import annotations

from types import ModuleType


class CliError(Exception):
    """A user mistake the CLI reports in one line (no traceback), exit status 2."""


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
