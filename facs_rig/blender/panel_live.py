# SPDX-License-Identifier: GPL-3.0-or-later
"""Live section: pick a source, start and stop, record, calibrate; the rate, latency, dropped and
malformed counts, and "no data" when the sender stops. A source whose library is missing here
(an install without the platform zip's wheels) shows what to install in place of Start."""

from __future__ import annotations

import bpy

from ..live import KINDS
from . import ops_live
from .ops_live import FACS_PG_live, live_settings
from .panel_common import FacsSection, form, wrapped
from .props import face, face_controls


class FACS_PT_live(FacsSection, bpy.types.Panel):
    bl_label = "Live"
    bl_idname = "FACS_PT_live"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = live_settings(context)
        if state is None:
            return
        if not face_controls(face(context)):
            layout.label(text="Build a FACS rig to drive it live, or use Passthrough on an ARKit head",
                         icon="INFO")
        status = ops_live.status()
        col = form(layout)
        col.enabled = status is None
        col.prop(state, "source")
        if state.source == "video":
            col.prop(state, "video")
        else:
            col.prop(state, "host")
            col.prop(state, "port")
        col.prop(state, "passthrough")
        options = form(layout)
        options.prop(state, "smoothing")
        options.prop(state, "mirror")
        options.prop(state, "gains")
        options.prop(state, "events")
        options.prop(state, "take_path")
        row = layout.row(align=True)
        if status is None:
            problem = ops_live.source_problem(state.source)
            if problem is None:
                row.operator("facs.live_start", text="Start", icon="PLAY")
            else:
                wrapped(layout.box(), f"{KINDS[state.source][0]} unavailable: {problem}", icon="ERROR")
            return
        row.operator("facs.live_stop", text="Stop", icon="SNAP_FACE")
        row.operator("facs.live_record", text="Record", icon="REC")
        layout.operator("facs.live_calibrate", icon="RESTRICT_SELECT_OFF")
        box = layout.box()
        if status.no_data:
            box.label(text="No data: the rig holds its last pose", icon="ERROR")
        else:
            box.label(text=f"{status.rate:.0f} Hz, {status.received} frames", icon="CHECKMARK")
        latency = "-" if status.latency_ms is None else f"{status.latency_ms:.2f} ms"
        box.label(text=f"Latency {latency}, dropped {status.dropped}, malformed {status.malformed}")
        if status.recorded:
            box.label(text=f"Recording: {status.recorded} frames", icon="REC")
        if status.last_error:
            box.label(text=f"Last bad packet: {status.last_error}", icon="INFO")

    @classmethod
    def register(cls) -> None:
        bpy.types.Scene.facs_rig_live = bpy.props.PointerProperty(  # type: ignore[attr-defined,func-returns-value]
            type=FACS_PG_live)

    @classmethod
    def unregister(cls) -> None:
        ops_live.stop_session()
        del bpy.types.Scene.facs_rig_live  # type: ignore[attr-defined]
