# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that apply a timeline file to the active rig, clear facs_rig's animation and export
it back to a timeline file. The work is in :mod:`.keyframer`; these add the file dialog, progress
and messages."""

from __future__ import annotations

from pathlib import Path

import bpy

from ..core.errors import FacsError
from ..core.timeline import dump, load
from . import keyframer


class FACS_OT_apply_timeline(bpy.types.Operator):
    """Animate the active rig with a FACS timeline file (replaces facs_rig's previous animation)"""

    bl_idname = "facs.apply_timeline"
    bl_label = "Apply FACS Timeline"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Timeline", description="facs-timeline JSON file", subtype="FILE_PATH")
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]
    mode: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Mode",
        items=(("LIVE", "Live", "Keys on the AU controls; the rig's drivers move the face"),
               ("BAKE", "Bake", "Also per-frame curves on the shape keys and bones, drivers muted "
                                "(for export and the fastest playback)")),
        default="LIVE")
    set_scene_range: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Set Scene Range", description="Use the timeline's frame rate and length for the scene",
        default=True)

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not keyframer.has_controls(context.active_object):
            cls.poll_message_set("The active object has no FACS rig (build one first)")
            return False
        return True

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if self.filepath:
            return self.execute(context)
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not self.filepath:
            self.report({"ERROR"}, "No timeline file given")
            return {"CANCELLED"}
        wm = context.window_manager
        wm.progress_begin(0, 100)
        try:
            timeline = load(bpy.path.abspath(self.filepath))
            result = keyframer.apply_timeline(context.active_object, timeline, mode=self.mode,
                                              scene=context.scene, set_scene_range=self.set_scene_range,
                                              progress=lambda f: wm.progress_update(int(100 * f)))
        except FacsError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        finally:
            wm.progress_end()
        for warning in result.warnings:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"Applied {Path(self.filepath).name}: {result.summary()}")
        return {"FINISHED"}


class FACS_OT_clear_animation(bpy.types.Operator):
    """Remove facs_rig's animation from the active rig (other animation stays)"""

    bl_idname = "facs.clear_animation"
    bl_label = "Clear FACS Animation"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not keyframer.has_animation(context.active_object):
            cls.poll_message_set("The active object has no facs_rig animation")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        removed = keyframer.clear_animation(context.active_object)
        self.report({"INFO"}, f"Removed {removed} facs_rig F-curves")
        return {"FINISHED"}


class FACS_OT_export_timeline(bpy.types.Operator):
    """Write the active rig's facs_rig animation to a FACS timeline file"""

    bl_idname = "facs.export_timeline"
    bl_label = "Export FACS Timeline"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Timeline", description="facs-timeline JSON file to write", subtype="FILE_PATH")
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]
    check_extension = True
    filename_ext = ".json"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not keyframer.has_animation(context.active_object):
            cls.poll_message_set("The active object has no facs_rig animation")
            return False
        return True

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if not self.filepath:
            name = keyframer.applied_name(context.active_object) or context.active_object.name
            self.filepath = bpy.path.clean_name(name) + self.filename_ext
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not self.filepath:
            self.report({"ERROR"}, "No file to write given")
            return {"CANCELLED"}
        path = Path(bpy.path.abspath(self.filepath))
        try:
            timeline = keyframer.export_timeline(context.active_object, scene=context.scene,
                                                 name=path.stem)
            dump(timeline, path)
        except (FacsError, OSError) as exc:
            self.report({"ERROR"}, f"{path}: {exc}" if isinstance(exc, OSError) else str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Wrote {len(timeline.events)} events and {len(timeline.tracks)} tracks "
                              f"to {path.name}")
        return {"FINISHED"}


CLASSES = (FACS_OT_apply_timeline, FACS_OT_clear_animation, FACS_OT_export_timeline)
