# SPDX-License-Identifier: GPL-3.0-or-later
"""The zip a user downloads: built by Blender's own tool, installed the way "Install from Disk"
does, enabled, and registered. Runs in a fresh interpreter so the source-tree copy stays apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

INSTALL_SCRIPT = r"""
import json, sys
import bpy
result = bpy.ops.extensions.package_install_files(
    filepath=sys.argv[1], repo="user_default", enable_on_install=True)
key = "bl_ext.user_default.facs_rig"
import importlib
blender = importlib.import_module(key + ".facs_rig.blender")
print("RESULT" + json.dumps({
    "op": sorted(result),
    "enabled": key in bpy.context.preferences.addons,
    "registered": [c.__name__ for c in blender.CLASSES if c.is_registered],
    "classes": [c.__name__ for c in blender.CLASSES],
    "ease": bpy.context.preferences.addons[key].preferences.ease,
}))
"""


def test_built_zip_installs_and_enables(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_extension.py"), "--output-dir", str(dist)],
        check=True,
        capture_output=True,
    )
    (zip_path,) = dist.glob("facs_rig-*.zip")
    names = zipfile.ZipFile(zip_path).namelist()
    assert "blender_manifest.toml" in names and "__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "tools/", ".venv", ".git"))]

    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    proc = subprocess.run(
        [sys.executable, "-c", INSTALL_SCRIPT, str(zip_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    result = json.loads(lines[-1].removeprefix("RESULT"))
    assert result["op"] == ["FINISHED"]
    assert result["enabled"]
    assert result["registered"] == result["classes"] and result["classes"]
    assert result["ease"] == "smooth"
