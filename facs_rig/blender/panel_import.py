# SPDX-License-Identifier: GPL-3.0-or-later
"""Import section: read a tracker export or event sheet onto the face, and show what came in."""

from __future__ import annotations

import bpy

from .panel_common import FacsSection, draw_report, rigged_settings


class FACS_PT_import(FacsSection, bpy.types.Panel):
    bl_label = "Import"
    bl_idname = "FACS_PT_import"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = rigged_settings(layout, context, "Build a FACS rig to import onto")
        if state is None:
            return
        col = layout.column()
        col.use_property_split = True
        col.use_property_decorate = False
        col.prop(state, "import_format")
        col.prop(state, "import_events")
        col.prop(state, "import_min_confidence")
        col.prop(state, "import_fps")
        col.prop(state, "apply_mode")
        op = layout.operator("facs.import_capture", text="Import...", icon="IMPORT")
        op.format = state.import_format
        op.events = state.import_events
        op.min_confidence = state.import_min_confidence
        op.fps = state.import_fps
        op.mode = state.apply_mode
        if state.import_summary:
            draw_report(layout, state.import_summary, True, state.import_report)
