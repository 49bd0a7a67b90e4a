# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that build and remove the FACS rig on the active mesh. The work is in :mod:`.rig`;
these add the preset menu, messages and undo."""

from __future__ import annotations

from typing import Any

import bpy

from ..core.mapping.presets import preset_names
from .ops_common import OpStatus, attempt, finish, refuse_unless
from .rig import build_rig, is_rigged, remove_rig, user_preset_dirs


def _preset_items(self: Any, context: bpy.types.Context) -> list[tuple[str, str, str]]:
    names = preset_names(user_preset_dirs(context))
    items = [("auto", "Auto", "The preset that finds the most shape keys and bones on this mesh")]
    items += [(n, n, f"Mapping preset {n}") for n in names]
    _preset_items.cache = items  # type: ignore[attr-defined]  # Blender needs the strings kept alive
    return items


class FACS_OT_build_rig(bpy.types.Operator):
    """Add FACS controls (AU custom properties) and drivers to the active mesh"""

    bl_idname = "facs.build_rig"
    bl_label = "Build FACS Rig"
    bl_options = {"REGISTER", "UNDO"}

    preset: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Preset", description="Mapping preset from AUs to shape keys and bones", items=_preset_items
    )
    armature: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Armature",
        description="Armature whose head and eye bones to drive (empty: the one deforming the mesh)",
        default="",
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        obj = context.active_object
        return refuse_unless(cls, obj is not None and obj.type == "MESH", "Select a mesh object")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        obj = context.active_object
        armature: bpy.types.Object | None = None
        if self.armature:
            armature = bpy.data.objects.get(self.armature)
            if armature is None:
                self.report({"ERROR"}, f"No object named {self.armature!r}")
                return {"CANCELLED"}
        report = attempt(self, context,
                         lambda _progress: build_rig(obj, self.preset, armature, user_preset_dirs(context)))
        if report is None:
            return {"CANCELLED"}
        return finish(self, report.warnings, report.summary())


class FACS_OT_remove_rig(bpy.types.Operator):
    """Remove the FACS rig from the active mesh, restoring it as it was"""

    bl_idname = "facs.remove_rig"
    bl_label = "Remove FACS Rig"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return refuse_unless(cls, is_rigged(context.active_object), "The active object has no FACS rig")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        obj = context.active_object
        remove_rig(obj)
        return finish(self, [], f"Removed the FACS rig from {obj.name}")


CLASSES = (FACS_OT_build_rig, FACS_OT_remove_rig)
