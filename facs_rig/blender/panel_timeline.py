# SPDX-License-Identifier: GPL-3.0-or-later
"""Timeline section: choose a timeline file, read its validation report, apply, clear, export."""

from __future__ import annotations

import bpy

from .panel_common import FacsSection, draw_report, point_at
from .props import face, settings


class FACS_PT_timeline(FacsSection, bpy.types.Panel):
    bl_label = "Timeline"
    bl_idname = "FACS_PT_timeline"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = settings(context)
        if state is None:
            return
        point_at(layout, context, face(context))
        row = layout.row(align=True)
        row.prop(state, "timeline_path", text="")
        row.operator("facs.load_timeline", text="", icon="FILEBROWSER")
        if state.timeline_path:
            reload = row.operator("facs.load_timeline", text="", icon="FILE_REFRESH")
            reload.filepath = state.timeline_path
        checked = state.timeline_checked == state.timeline_path and bool(state.timeline_path)
        if state.timeline_path and not checked:
            layout.label(text="Not checked yet: press the reload button", icon="INFO")
        elif checked:
            draw_report(layout, state.timeline_summary, state.timeline_ok, state.timeline_report)
        layout.prop(state, "apply_mode", expand=True)
        row = layout.row(align=True)
        apply = row.row(align=True)
        apply.enabled = checked and state.timeline_ok
        op = apply.operator("facs.apply_timeline", text="Apply", icon="PLAY")
        op.filepath = state.timeline_path
        op.mode = state.apply_mode
        row.operator("facs.clear_animation", text="Clear", icon="TRASH")
        row.operator("facs.export_timeline", text="Export", icon="EXPORT")
