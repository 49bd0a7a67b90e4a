# SPDX-License-Identifier: GPL-3.0-or-later
"""Render section: a still, the animation and the AU atlas of the face, into one output folder."""

from __future__ import annotations

import bpy

from .ops_render import OUTPUTS
from .panel_common import FacsSection, point_at
from .props import face, settings


def output(folder: str, kind: str) -> str:
    """``folder`` joined with the file name of ``kind``, keeping Blender's ``//`` prefix intact."""
    return (folder if not folder or folder.endswith(("/", "\\")) else folder + "/") + OUTPUTS[kind]


class FACS_PT_render(FacsSection, bpy.types.Panel):
    bl_label = "Render"
    bl_idname = "FACS_PT_render"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        state = settings(context)
        if state is None:
            return
        if context.scene.camera is None:
            layout.label(text="The scene needs a camera to render from", icon="INFO")
        point_at(layout, context, face(context))
        layout.prop(state, "render_folder", text="")
        col = layout.column(align=True)
        col.operator("facs.render_still", text="Still", icon="IMAGE_DATA").filepath = output(
            state.render_folder, "still")
        row = col.row(align=True)
        anim = row.operator("facs.render_animation", text="Animation", icon="RENDER_ANIMATION")
        anim.filepath = output(state.render_folder, "animation")
        anim.labels = state.render_labels
        row.prop(state, "render_labels", text="", icon="TEXT")
        box = layout.box()
        row = box.row(align=True)
        row.prop(state, "atlas_levels")
        row.prop(state, "atlas_tile", text="Tile")
        atlas = box.operator("facs.render_atlas", text="AU Atlas", icon="IMGDISPLAY")
        atlas.filepath = output(state.render_folder, "atlas")
        atlas.levels = state.atlas_levels
        atlas.tile = state.atlas_tile
