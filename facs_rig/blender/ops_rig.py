# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that build and remove the FACS rig on the active mesh. The work is in :mod:`.rig`;
these add the preset menu, messages and undo."""

from __future__ import annotations

from typing import Any

import bpy

from ..core.jsondoc import read_document
from ..core.mapping.presets import preset_names
from ..core.warp import parse_landmarks
from .ops_common import (
    OpStatus,
    absolute_path,
    attempt,
    finish,
    poll_active_mesh,
    refuse_unless,
)
from .props import PATH_OPTIONS
from .rig import build_rig, find_armature, is_rigged, remove_rig, user_preset_dirs
from .rig_any import Generated, generate_shapes


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
        return poll_active_mesh(cls, context)

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


class FACS_OT_generate_shapes(bpy.types.Operator):
    """Give the active mesh, a head without face shapes, the 52 ARKit keys and MakeHuman's units
    by fitting the FACS Head to it, with eye and jaw bones (docs/rig_any_head.md)"""

    bl_idname = "facs.generate_shapes"
    bl_label = "Generate Face Shapes"
    bl_options = {"REGISTER", "UNDO"}

    landmarks: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Landmarks",
        description="Hand-placed landmarks (JSON: name -> vertex index or [x, y, z]) where the face is not "
                    "found; empty: find the face with the built-in reader",
        subtype="FILE_PATH",
        options=PATH_OPTIONS,
        default="",
    )
    overwrite: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Replace Same-Named Keys",
        description="Replace shape keys of the same names the mesh already has (kept by default)",
        default=False,
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_active_mesh(cls, context)

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        obj = context.active_object

        def work(_progress: object) -> Generated:
            marks = None
            if self.landmarks:
                path = absolute_path(self.landmarks)
                marks = parse_landmarks(read_document(path, what="landmark file"), str(path))
            return generate_shapes(obj, find_armature(obj), landmarks=marks, overwrite=self.overwrite)

        made = attempt(self, context, work)
        if made is None:
            return {"CANCELLED"}
        return finish(self, [], made.summary())


CLASSES = (FACS_OT_build_rig, FACS_OT_remove_rig, FACS_OT_generate_shapes)
