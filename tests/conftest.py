# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared test setup. Blender must never touch the developer's real configuration, so its user
resources point at a throw-away folder before anything can import bpy."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="facs_rig_user_")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The bpy 4.2 module can crash in C++ static destructors after Python has finalized
    (``bpy_class_free`` -> ``PyGILState_Ensure`` on a dead interpreter, freeing Python classes
    that Blender's own add-ons such as the glTF exporter left in space types), turning a green
    run into signal 11. Once pytest has reported, leave without running those destructors. Blender
    4.4 and later shut down cleanly, so they exit normally."""
    bpy = sys.modules.get("bpy")
    if bpy is None or bpy.app.version >= (4, 4, 0) or not _exit_status:
        return
    config.get_terminal_writer().flush()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()
    os._exit(_exit_status[-1])
