# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators on the face's AU controls as a whole: reset them, key them.

Keys go into facs_rig's F-curve group, so a keyed pose is facs_rig animation like an applied
timeline: Clear removes it, Export writes it (as tracks) and Insert Event keeps it.
"""

from __future__ import annotations

import bpy

from . import anim_compat, keyframer
from .ops_common import OpStatus, finish, poll_face_controls
from .props import face, face_controls


def _animated(obj: bpy.types.Object, controls: list[str]) -> list[str]:
    bag = anim_compat.container(obj)
    if bag is None:
        return []
    return [c for c in controls if bag.fcurves.find(keyframer.control_path(c)) is not None]


class FACS_OT_reset_controls(bpy.types.Operator):
    """Set every AU control of the face to 0 (neutral face)"""

    bl_idname = "facs.reset_controls"
    bl_label = "Reset All AUs"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_face_controls(cls, context)

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        obj = face(context)
        controls = face_controls(obj)
        for control in controls:
            obj[control] = 0.0
        obj.update_tag()
        animated = _animated(obj, controls)
        warnings = [f"{len(animated)} of the controls are animated: they go back to their keys when the "
                    "frame changes"] if animated else []
        return finish(self, warnings, f"Reset {len(controls)} AU controls of {obj.name}")


class FACS_OT_key_controls(bpy.types.Operator):
    """Insert a key on every AU control of the face at the current frame"""

    bl_idname = "facs.key_controls"
    bl_label = "Key All AUs"
    bl_options = {"REGISTER", "UNDO"}

    frame: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Frame", description="Frame to key (default: the current frame)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_face_controls(cls, context)

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        obj = face(context)
        if not self.properties.is_property_set("frame"):
            self.frame = context.scene.frame_current
        controls = face_controls(obj)
        for control in controls:
            obj.keyframe_insert(keyframer.control_path(control), frame=self.frame, group=keyframer.GROUP)
        return finish(self, [], f"Keyed {len(controls)} AU controls of {obj.name} at frame {self.frame}")


CLASSES = (FACS_OT_reset_controls, FACS_OT_key_controls)
