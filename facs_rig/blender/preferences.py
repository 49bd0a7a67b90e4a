# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences (Edit > Preferences > Add-ons > FACS Rig)."""

from __future__ import annotations

import bpy

from .addon import ADDON_PACKAGE


class FacsRigPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_PACKAGE

    intensity_scale: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Intensity Scale",
        description="How FACS intensity letters A-E map to 0..1 when a timeline does not say",
        items=(
            ("facs", "FACS bands", "A 0.10, B 0.25, C 0.55, D 0.90, E 1.00"),
            ("linear", "Linear", "A 0.2, B 0.4, C 0.6, D 0.8, E 1.0"),
            ("openface", "OpenFace", "Letter ordinal / 5, as OpenFace's 0-5 intensities"),
        ),
        default="facs",
    )
    ease: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Ease",
        description="Default shape of onset and offset when an event does not say",
        items=(
            ("smooth", "Smooth", "Cubic ease in-out (3t^2 - 2t^3)"),
            ("linear", "Linear", "Constant speed"),
        ),
        default="smooth",
    )
    user_presets_dir: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="User Presets",
        description="Folder of your own mapping presets (JSON files in the facs_rig preset format)",
        subtype="DIR_PATH",
        default="",
    )

    def draw(self, context: bpy.types.Context) -> None:
        col = self.layout.column()
        col.prop(self, "intensity_scale")
        col.prop(self, "ease")
        col.prop(self, "user_presets_dir")
