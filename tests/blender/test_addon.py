# SPDX-License-Identifier: GPL-3.0-or-later
"""The extension registers, exposes its preferences and unregisters cleanly."""

from __future__ import annotations

import importlib
from types import ModuleType

import bpy


def _registered(classes: tuple[type, ...]) -> list[str]:
    return [cls.__name__ for cls in classes if getattr(cls, "is_registered", False)]


def test_enabled_as_extension(addon: ModuleType) -> None:
    key = addon.__name__.removesuffix(".facs_rig")
    assert key.startswith("bl_ext.")
    prefs = bpy.context.preferences.addons[key].preferences
    assert prefs.intensity_scale == "facs"
    assert prefs.ease == "smooth"
    assert _registered(addon.blender.CLASSES) == [cls.__name__ for cls in addon.blender.CLASSES]


def test_enable_disable_cycles_leave_nothing_registered(addon: ModuleType) -> None:
    import addon_utils  # on sys.path only once bpy is imported

    key = addon.__name__.removesuffix(".facs_rig")

    def fail(exc: BaseException) -> None:
        raise exc

    try:
        for _ in range(50):
            addon_utils.disable(key, default_set=True, handle_error=fail)
            assert key not in bpy.context.preferences.addons
            # The module object is re-imported on enable, so look the classes up again.
            classes = importlib.import_module(f"{key}.facs_rig.blender").CLASSES
            assert _registered(classes) == []
            addon_utils.enable(key, default_set=True, handle_error=fail)
            assert key in bpy.context.preferences.addons
    finally:
        if key not in bpy.context.preferences.addons:
            addon_utils.enable(key, default_set=True, handle_error=fail)
    classes = importlib.import_module(f"{key}.facs_rig.blender").CLASSES
    assert len(_registered(classes)) == len(classes)
