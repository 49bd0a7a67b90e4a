# SPDX-License-Identifier: GPL-3.0-or-later
"""Import section: read a tracker export, an event sheet, a video or images onto the face, and show
what came in. Where the face reader cannot run, its button gives way to what is missing."""

from __future__ import annotations

import bpy

from .ops_read_media import STATUS, reader_problem
from .panel_common import FacsSection, draw_report, form, rigged_settings, wrapped


class FACS_PT_import(FacsSection, bpy.types.Panel):
    bl_label = "Import"
    bl_idname = "FACS_PT_import"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = rigged_settings(layout, context, "Build a FACS rig to import onto")
        if state is None:
            return
        col = form(layout)
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
        problem = reader_problem()
        if problem is None:
            op = layout.operator("facs.read_media", text="Read Video or Images...", icon="FILE_MOVIE")
            op.events = state.import_events
            op.fps = state.import_fps
            op.mode = state.apply_mode
        else:
            wrapped(layout.box(), f"Video and image import unavailable: {problem}", icon="ERROR")
        if STATUS.text:
            wrapped(layout, STATUS.text, icon="ERROR" if STATUS.error else "FILE_MOVIE")
        if state.import_summary:
            draw_report(layout, state.import_summary, True, state.import_report)
