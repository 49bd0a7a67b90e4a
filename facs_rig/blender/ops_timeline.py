# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that check a timeline file into the panel, apply it to the active rig, clear
facs_rig's animation and export it back to a timeline file. The work is in :mod:`.keyframer`;
these add the file dialog, progress and messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from ..core.errors import TimelineError
from ..core.files import FileError
from ..core.timeline import MAX_BYTES, load
from ..core.timing import MAX_FRAME, time_span
from . import keyframer
from .ops_common import (
    OpStatus,
    TimelineFile,
    absolute_path,
    attempt,
    finish,
    no_file,
    refuse_unless,
    save_timeline,
)
from .props import MODES, PATH_OPTIONS, set_report, settings


def _poll_animation(cls: type[bpy.types.Operator], context: bpy.types.Context) -> bool:
    return refuse_unless(cls, keyframer.has_animation(context.active_object),
                         "The active object has no facs_rig animation")


class FACS_OT_apply_timeline(TimelineFile, bpy.types.Operator):
    """Animate the active rig with a FACS timeline file (replaces facs_rig's previous animation)"""

    bl_idname = "facs.apply_timeline"
    bl_label = "Apply FACS Timeline"
    bl_options = {"REGISTER", "UNDO"}

    mode: bpy.props.EnumProperty(name="Mode", items=MODES, default="LIVE")  # type: ignore[valid-type]
    set_scene_range: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Set Scene Range", description="Use the timeline's frame rate and length for the scene",
        default=True)

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return refuse_unless(cls, keyframer.has_controls(context.active_object),
                             "The active object has no FACS rig (build one first)")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        if no_file(self, "No timeline file given"):
            return {"CANCELLED"}
        result = attempt(self, context, lambda progress: keyframer.apply_timeline(
            context.active_object, load(absolute_path(self.filepath)), mode=self.mode, scene=context.scene,
            set_scene_range=self.set_scene_range, progress=progress))
        if result is None:
            return {"CANCELLED"}
        return finish(self, result.warnings, f"Applied {Path(self.filepath).name}: {result.summary()}")


class FACS_OT_clear_animation(bpy.types.Operator):
    """Remove facs_rig's animation from the active rig (other animation stays)"""

    bl_idname = "facs.clear_animation"
    bl_label = "Clear FACS Animation"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_animation(cls, context)

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        removed = keyframer.clear_animation(context.active_object)
        self.report({"INFO"}, f"Removed {removed} facs_rig F-curves")
        return {"FINISHED"}


class FACS_OT_export_timeline(bpy.types.Operator):
    """Write the active rig's facs_rig animation to a FACS timeline file"""

    bl_idname = "facs.export_timeline"
    bl_label = "Export FACS Timeline"
    bl_options = {"REGISTER"}  # writes a file, changes nothing in the .blend: no undo step

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Timeline", description="facs-timeline JSON file to write", subtype="FILE_PATH",
        options=PATH_OPTIONS)
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]
    check_extension = True
    filename_ext = ".json"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_animation(cls, context)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OpStatus]:
        if not self.filepath:
            name = keyframer.applied_name(context.active_object) or context.active_object.name
            self.filepath = bpy.path.clean_name(name) + self.filename_ext
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        if no_file(self, "No file to write given"):
            return {"CANCELLED"}
        obj, scene = context.active_object, context.scene
        written = attempt(self, context, lambda _progress: save_timeline(
            self.filepath, "the timeline",
            lambda target: keyframer.export_timeline(obj, scene=scene, name=target.stem)))
        if written is None:
            return {"CANCELLED"}
        timeline, paths = written
        split = (f" ({len(paths)} consecutive timelines: one file holds at most {MAX_BYTES // 2**20} MiB "
                 f"and Blender's {MAX_FRAME:,} frames)") if len(paths) > 1 else ""
        return finish(self, [], f"Wrote {len(timeline.events)} events and {len(timeline.tracks)} tracks "
                                f"to {', '.join(path.name for path in paths)}{split}")


def check_timeline(state: Any, filepath: str) -> TimelineError | None:
    """Validate a timeline file into the panel's report; the error when it does not load. Raises
    :class:`FileError`, with the panel unchanged, for a path :func:`.ops_common.absolute_path` refuses."""
    path = absolute_path(filepath)
    state.timeline_path = filepath
    state.timeline_checked = filepath
    try:
        timeline = load(path)
    except TimelineError as exc:
        state.timeline_ok = False
        n_errors, n_warnings = len(exc.errors), len(exc.warnings)
        state.timeline_summary = (f"{Path(path).name}: {n_errors} error{'s' * (n_errors != 1)}, "
                                  f"{n_warnings} warning{'s' * (n_warnings != 1)}")
        set_report(state.timeline_report, [("ERROR", str(p)) for p in exc.errors]
                   + [("WARNING", str(p)) for p in exc.warnings])
        return exc
    start, end = time_span(timeline)
    state.timeline_ok = True
    n_warnings = len(timeline.warnings)
    state.timeline_summary = (f"{timeline.name}: {len(timeline.events)} events, "
                              f"{len(timeline.tracks)} tracks, {start:g}-{end:g} s, "
                              f"{n_warnings} warning{'s' * (n_warnings != 1)}")
    set_report(state.timeline_report, [("WARNING", w) for w in timeline.warnings])
    return None


class FACS_OT_load_timeline(TimelineFile, bpy.types.Operator):
    """Choose a FACS timeline file and check it; the panel lists its errors and warnings"""

    bl_idname = "facs.load_timeline"
    bl_label = "Load FACS Timeline"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return settings(context) is not None

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        if no_file(self, "No timeline file given"):
            return {"CANCELLED"}
        state = settings(context)
        try:
            error = check_timeline(state, self.filepath)
        except FileError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for line in state.timeline_report:
            self.report({line.severity}, line.text)
        if error is not None:
            self.report({"ERROR"}, f"{state.timeline_summary} (listed in the FACS panel)")
            return {"CANCELLED"}
        self.report({"INFO"}, state.timeline_summary)
        return {"FINISHED"}


CLASSES = (FACS_OT_load_timeline, FACS_OT_apply_timeline, FACS_OT_clear_animation, FACS_OT_export_timeline)
