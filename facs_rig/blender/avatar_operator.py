# SPDX-License-Identifier: GPL-3.0-or-later
"""Add > FACS Head: the default avatar at the 3D cursor, as one undoable step."""

from __future__ import annotations

import bpy

from ..core.errors import FacsError
from ..io.identity import ETHNIC, MACROS, Identity, details_of, make_identity, parse_identity
from . import avatar
from .identity_fields import add_macro_fields
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
    # Identity (docs/avatar.md): the macro fields are added below the class (add_macro_fields).
    details: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Face Details",
        description="MakeHuman face details as NAME=VALUE pairs (nose-hump-decr-incr=0.4,"
                    "chin-width-decr-incr=-0.3), or random:SEED for a whole random identity",
        default="",
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
                studio=self.studio, identity=self.identity(),
            )
        except FacsError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for ob in context.view_layer.objects:
            ob.select_set(False)
        made.mesh.select_set(True)
        context.view_layer.objects.active = made.mesh
        return {"FINISHED"}

    def identity(self) -> Identity:
        """The fields as an identity: the macros that differ from the default head's (all three
        ethnic shares once one does), then the face details typed in (``random:SEED`` replaces all)."""
        details = details_of(avatar.load_asset())
        typed = parse_identity(self.details, details)
        if typed.source:
            return typed
        # Blender stores the fields as float32: a field still at its default reads back within 1e-6.
        fields = {name: float(getattr(self, name)) for name in MACROS}
        # Recorded to the 4 decimals the fields show, not float32's 0.3333333432674408.
        changed = [name for name, value in fields.items() if abs(value - MACROS[name][2]) > 1e-6]
        values = {name: round(fields[name], 4) for name in changed}
        if any(group in values for group in ETHNIC):
            values.update({group: round(fields[group], 4) for group in ETHNIC})
        return make_identity({**values, **dict(typed.values)}, details)

    @classmethod
    def register(cls) -> None:
        bpy.types.VIEW3D_MT_add.append(_menu_entry)

    @classmethod
    def unregister(cls) -> None:
        bpy.types.VIEW3D_MT_add.remove(_menu_entry)


add_macro_fields(FACS_OT_add_default_head)


def _menu_entry(menu: bpy.types.Menu, _context: bpy.types.Context) -> None:
    menu.layout.separator()
    menu.layout.operator(FACS_OT_add_default_head.bl_idname, text="FACS Head", icon="USER")
