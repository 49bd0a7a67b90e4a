# SPDX-License-Identifier: GPL-3.0-or-later
"""Add > FACS Head: the default avatar at the 3D cursor, as one undoable step."""

from __future__ import annotations

import bpy

from ..core.errors import FacsError
from . import avatar
from .ops_common import OpStatus

_VARIANTS = (
    ("mixed", "Mixed", "MakeHuman's expression units blended as for its default human"),
    ("african", "African", "MakeHuman's African expression units"),
    ("asian", "Asian", "MakeHuman's Asian expression units"),
    ("caucasian", "Caucasian", "MakeHuman's Caucasian expression units"),
)


class FACS_OT_add_default_head(bpy.types.Operator):
    """Add the FACS Head: a MakeHuman head with the 52 ARKit face units and MakeHuman's expression
    units as shape keys, on a neck, head, jaw and eye rig"""

    bl_idname = "facs.add_default_head"
    bl_label = "Add FACS Head"
    bl_options = {"REGISTER", "UNDO"}

    variant: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Expression Units",
        description="Which variant of MakeHuman's expression units becomes the mh_* shape keys",
        items=_VARIANTS,
        default="mixed",
    )
    studio: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Camera and Lights",
        description="Also add a portrait camera and three area lights parented to the rig",
        default=True,
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return context.mode == "OBJECT"

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OpStatus]:
        if not self.properties.is_property_set("studio"):
            self.studio = context.scene.camera is None
        return self.execute(context)

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        try:
            made = avatar.create_default_avatar(
                context, variant=self.variant, location=context.scene.cursor.location.to_tuple(),
                studio=self.studio,
            )
        except FacsError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for ob in context.view_layer.objects:
            ob.select_set(False)
        made.mesh.select_set(True)
        context.view_layer.objects.active = made.mesh
        return {"FINISHED"}

    @classmethod
    def register(cls) -> None:
        bpy.types.VIEW3D_MT_add.append(_menu_entry)

    @classmethod
    def unregister(cls) -> None:
        bpy.types.VIEW3D_MT_add.remove(_menu_entry)


def _menu_entry(menu: bpy.types.Menu, _context: bpy.types.Context) -> None:
    menu.layout.separator()
    menu.layout.operator(FACS_OT_add_default_head.bl_idname, text="FACS Head", icon="USER")
