# SPDX-License-Identifier: GPL-3.0-or-later
"""The sidebar panel (3D viewport, N panel, tab "FACS")."""

from __future__ import annotations

import bpy

from ..paths import version


class FACS_PT_main(bpy.types.Panel):
    bl_label = "FACS Rig"
    bl_idname = "FACS_PT_main"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "FACS"

    def draw(self, context: bpy.types.Context) -> None:
        self.layout.label(text=f"facs_rig {version()}")
