# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the add-on's data lives, resolved from this file so it works from the source tree, the
installed extension and the CLI alike."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
PRESETS = ROOT / "presets"
ASSETS = PACKAGE_DIR / "assets"
MANIFEST = ROOT / "blender_manifest.toml"


@cache
def version() -> str:
    """The manifest is the single source of the version: Blender reads it, so we do too."""
    with MANIFEST.open("rb") as fh:
        return str(tomllib.load(fh)["version"])
