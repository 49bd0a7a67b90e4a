# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared test setup. Blender must never touch the developer's real configuration, so its user
resources point at a throw-away folder before anything can import bpy."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="facs_rig_user_")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
