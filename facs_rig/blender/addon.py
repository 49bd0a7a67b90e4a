# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's identity inside Blender."""

from __future__ import annotations

import bpy

# ``bl_ext.<repo>.facs_rig`` when installed as an extension: the key of
# ``context.preferences.addons`` and the ``bl_idname`` of the preferences.
ADDON_PACKAGE = __package__.removesuffix(".facs_rig.blender")


def preferences(context: bpy.types.Context | None = None) -> bpy.types.AddonPreferences | None:
    """The add-on's preferences, or None when the code runs without the add-on enabled (the CLI)."""
    addon: bpy.types.Addon | None = (context or bpy.context).preferences.addons.get(ADDON_PACKAGE)
    return addon.preferences if addon else None
