# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences (Edit > Preferences > Add-ons > FACS Rig): one person's habits, shared by
every file they open (the panel's per-file state lives in :mod:`.props`)."""

from __future__ import annotations

from typing import Any, cast

import bpy

from ..core.intensity import DEFAULT_SCALE, IntensityScale, scale_from_spec
from .addon import ADDON_PACKAGE, preferences

EVENT_ONSET = 0.25
EVENT_HOLD = 0.5
EVENT_OFFSET = 0.5
"""Default phases of an inserted event, in seconds: a 1.25 s movement, inside the 0.5-4 s of an
ordinary expression (FACS.md section 4)."""


def _seconds(name: str, description: str, default: float) -> Any:  # a deferred bpy.props.FloatProperty
    return bpy.props.FloatProperty(name=name, description=description, default=default, min=0.0,
                                   soft_max=4.0, step=5, precision=2, unit="TIME_ABSOLUTE")


class FacsRigPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_PACKAGE

    intensity_scale: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Intensity Scale",
        description="How FACS intensity letters A-E map to 0..1 when a timeline does not say, and "
                    "which letter the panel shows next to each AU value",
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
    event_onset: _seconds(  # type: ignore[valid-type]
        "Onset", "Time an inserted event takes to rise to its apex", EVENT_ONSET)
    event_hold: _seconds(  # type: ignore[valid-type]
        "Hold", "Time an inserted event stays at its apex", EVENT_HOLD)
    event_offset: _seconds(  # type: ignore[valid-type]
        "Offset", "Time an inserted event takes to fall back to neutral", EVENT_OFFSET)

    def draw(self, context: bpy.types.Context) -> None:
        col = self.layout.column()
        col.use_property_split = True
        col.prop(self, "intensity_scale")
        col.prop(self, "ease")
        col.prop(self, "user_presets_dir")
        sub = col.column(align=True, heading="Inserted Events")
        sub.prop(self, "event_onset")
        sub.prop(self, "event_hold")
        sub.prop(self, "event_offset")


def intensity_scale(context: bpy.types.Context | None = None) -> IntensityScale:
    """The scale the user chose; the FACS default when the add-on is not enabled (the CLI)."""
    prefs = cast("FacsRigPreferences | None", preferences(context))
    return scale_from_spec(prefs.intensity_scale if prefs else DEFAULT_SCALE)


def event_timing(context: bpy.types.Context | None = None) -> tuple[float, float, float, str]:
    """Onset, hold and offset seconds and ease of an event inserted from the panel."""
    prefs = cast("FacsRigPreferences | None", preferences(context))
    if prefs is None:
        return EVENT_ONSET, EVENT_HOLD, EVENT_OFFSET, "smooth"
    return prefs.event_onset, prefs.event_hold, prefs.event_offset, prefs.ease
