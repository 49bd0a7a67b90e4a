# SPDX-License-Identifier: GPL-3.0-or-later
"""Architecture rules the code must keep: core and io stay free of Blender."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLENDER_MODULES = {"bpy", "mathutils", "bmesh", "addon_utils", "bpy_extras", "gpu"}


def test_core_and_io_import_without_bpy() -> None:
    code = (
        "import sys, facs_rig, facs_rig.core, facs_rig.io, pkgutil, importlib\n"
        "for pkg in (facs_rig.core, facs_rig.io):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {BLENDER_MODULES!r})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_no_blender_imports_in_pure_packages() -> None:
    offenders = []
    for path in [*ROOT.glob("facs_rig/core/**/*.py"), *ROOT.glob("facs_rig/io/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path}:{node.lineno}: {n}" for n in names if n.split(".")[0] in BLENDER_MODULES]
    assert offenders == []


def test_manifest_matches_package_version() -> None:
    import facs_rig

    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert manifest["id"] == "facs_rig"
    assert manifest["version"] == facs_rig.__version__
    assert manifest["blender_version_min"] == "4.2.0"
    assert manifest["blender_version_max"] == "5.1.0"


def test_cli_version_and_help() -> None:
    import facs_rig

    out = subprocess.run(
        [sys.executable, "-m", "facs_rig", "--version"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == f"facs_rig {facs_rig.__version__}"
    help_text = subprocess.run(
        [sys.executable, "-m", "facs_rig", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for command in ("validate", "info", "animate", "render", "atlas", "convert"):
        assert command in help_text
