# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate and build the extension zip with Blender's own ``blender_ext.py`` from the bpy wheel.

The wheel has no Blender binary (``blender --command extension`` is unavailable), but it ships the
same validator and builder as a plain script, so the zip is exactly what Blender would make.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bpy_scripts_dir() -> Path:
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("build_extension: the bpy module is not installed in this Python")
    bpy_dir = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(bpy_dir.glob("[0-9]*.[0-9]*/scripts"))
    if not found:
        sys.exit(f"build_extension: no scripts folder inside {bpy_dir}")
    return found[-1]


def blender_ext(*args: str) -> None:
    scripts = bpy_scripts_dir()
    cmd = [sys.executable, str(scripts / "addons_core/bl_pkg/cli/blender_ext.py"), *args]
    if args[0] == "build":
        cmd += ["--valid-tags", str(scripts / "modules/_bpy_internal/extensions/tags.py")]
    subprocess.run(cmd, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output-dir", default=str(ROOT / "dist"))
    args = parser.parse_args()
    blender_ext("validate", str(ROOT))
    Path(args.output_dir).mkdir(parents=True, exist_ok=True)
    blender_ext("build", "--source-dir", str(ROOT), "--output-dir", args.output_dir)


if __name__ == "__main__":
    main()
