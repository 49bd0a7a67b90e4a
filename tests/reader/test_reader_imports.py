# SPDX-License-Identifier: GPL-3.0-or-later
"""The reader is pure (no bpy) and loads its heavy runtime only when it reads, so facs_rig and the
add-on work where mediapipe or PyAV are missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"bpy", "mediapipe", "av", "cv2", "matplotlib"}


def test_reader_imports_without_blender_or_its_runtime() -> None:
    code = (
        "import sys, pkgutil, importlib, facs_rig.reader as r\n"
        "for m in pkgutil.walk_packages(r.__path__, r.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "import facs_rig.cli.convert\n"
        f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & {HEAVY!r})\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert done.stdout.strip() == ""
