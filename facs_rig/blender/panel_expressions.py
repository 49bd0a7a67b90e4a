# SPDX-License-Identifier: GPL-3.0-or-later
"""Expressions section: play a library expression or a typed FACS code, now (Set Pose) or as an
event peaking at the current frame (Insert Event)."""

from __future__ import annotations

from typing import Any

import bpy

from ..core.errors import FacsError
from ..core.expressions import expression_info
from .addon import preferences
from .panel_common import FacsSection, rigged_settings, wrapped


def _buttons(layout: bpy.types.UILayout, state: Any, **what: str) -> None:
    row = layout.row(align=True)
    pose = row.operator("facs.apply_expression", text="Set Pose", icon="POSE_HLT")
    event = row.operator("facs.insert_event", text="Insert Event", icon="KEYFRAME")
    for op in (pose, event):
        for name, value in what.items():
            setattr(op, name, value)
        op.intensity = state.intensity
    pose.replace = state.replace_pose


class FACS_PT_expressions(FacsSection, bpy.types.Panel):
    bl_label = "Expressions"
    bl_idname = "FACS_PT_expressions"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = rigged_settings(layout, context, "Build a FACS rig to play expressions")
        if state is None:
            return
        layout.prop(state, "intensity", expand=True)
        layout.prop(state, "replace_pose")
        box = layout.box()
        box.prop(state, "expression", text="")
        try:
            box.label(text=f"= {expression_info(state.expression).code}")
        except FacsError:  # an expression saved by a newer facs_rig
            box.label(text="Unknown expression", icon="ERROR")
        _buttons(box, state, expression=state.expression)
        box = layout.box()
        box.prop(state, "code", text="", placeholder="FACS code, e.g. 1+2+5B+26")
        if state.code.strip():
            _buttons(box, state, code=state.code)
        else:
            box.label(text="Type a code to set or insert it")
        prefs = preferences(context)
        if prefs is not None:
            col = layout.column(align=True)
            wrapped(col, f"Events peak at frame {context.scene.frame_current}; their timing:")
            row = col.row(align=True)
            row.prop(prefs, "event_onset")
            row.prop(prefs, "event_hold")
            row.prop(prefs, "event_offset")
            col.prop(prefs, "ease", expand=True)
