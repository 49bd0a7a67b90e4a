# SPDX-License-Identifier: GPL-3.0-or-later
"""The sidebar panel (3D viewport, N panel, tab "FACS"): the face it works on, then one section
per task (docs/panel.md)."""

from __future__ import annotations

import bpy

from ..paths import version
from . import props, rig
from .panel_avatar import FACS_MT_presets, FACS_PT_avatar
from .panel_common import MAIN_ID, FacsPanel, Icon
from .panel_controls import FACS_PT_controls
from .panel_expressions import FACS_PT_expressions
from .panel_import import FACS_PT_import
from .panel_live import FACS_PT_live
from .panel_render import FACS_PT_render
from .panel_timeline import FACS_PT_timeline
from .props import face, face_controls, settings


def status(obj: bpy.types.Object | None) -> tuple[str, Icon]:
    """One line about the face, and its icon."""
    if obj is None:
        return "No face: select a mesh", "INFO"
    if obj.type != "MESH":
        return f"{obj.name} is not a mesh", "ERROR"
    controls = face_controls(obj)
    if rig.is_rigged(obj):
        preset = (rig.rig_info(obj) or rig.RigRecord(preset="?")).preset
        return f"{obj.name}: rigged ({preset}), {len(controls)} AU controls", "CHECKMARK"
    if controls:
        return f"{obj.name}: {len(controls)} AU controls, no drivers", "INFO"
    return f"{obj.name}: not rigged", "INFO"


class FACS_PT_main(FacsPanel, bpy.types.Panel):
    bl_label = "FACS Rig"
    bl_idname = MAIN_ID

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = settings(context)
        if state is not None:
            layout.prop(state, "target", text="Face", icon="MESH_DATA")
        text, icon = status(face(context))
        layout.label(text=text, icon=icon)
        layout.label(text=f"facs_rig {version()}")

    @classmethod
    def register(cls) -> None:
        props.attach()  # registered after the property groups, unregistered before them

    @classmethod
    def unregister(cls) -> None:
        props.detach()


CLASSES = (FACS_MT_presets, FACS_PT_main, FACS_PT_avatar, FACS_PT_controls, FACS_PT_expressions,
           FACS_PT_timeline, FACS_PT_import, FACS_PT_live, FACS_PT_render)
