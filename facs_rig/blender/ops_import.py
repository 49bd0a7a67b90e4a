# SPDX-License-Identifier: GPL-3.0-or-later
"""Import a tracker export (OpenFace, py-feat, Live Link Face, Audio2Face, MediaPipe) or an event
sheet onto the face: :func:`..io.read_any` makes the timeline, the keyframer applies it, and the
import report stays in the panel."""

from __future__ import annotations

from pathlib import Path

import bpy

from ..io import EXTENSIONS, FORMATS, ImportResult, read_any
from . import keyframer
from .ops_common import (
    FileInvoke,
    OpStatus,
    Progress,
    absolute_path,
    attempt,
    finish,
    no_file,
    poll_face_controls,
)
from .props import MODES, PATH_OPTIONS, face, set_report, settings


class OntoFace(FileInvoke):
    """What the imports onto the face share (tracker files, videos, images): the file browser, how
    the result is applied, and the poll that wants a rigged face."""

    events: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="As Events", description="Turn the dense tracked curves into FACS events")
    mode: bpy.props.EnumProperty(name="Mode", items=MODES, default="LIVE")  # type: ignore[valid-type]

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_face_controls(cls, context)


class FACS_OT_import_capture(OntoFace, bpy.types.Operator):
    """Animate the face from a face-tracking file or an event sheet (replaces facs_rig's animation)"""

    bl_idname = "facs.import_capture"
    bl_label = "Import Face Capture"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="File", description="Tracker export or event sheet", subtype="FILE_PATH",
        options=PATH_OPTIONS)
    filter_glob: bpy.props.StringProperty(  # type: ignore[valid-type]
        default=";".join(f"*{ext}" for ext in EXTENSIONS), options={"HIDDEN"})
    format: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Format", items=[("auto", "Auto", "Detect the format from the file's contents")]
        + [(f.id, f.label, f.description) for f in FORMATS])
    min_confidence: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Min Confidence", default=0.8, min=0.0, max=1.0,
        description="Tracked frames below this confidence become gaps")
    fps: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Frame Rate", default=0.0, min=0.0, description="For files with frame numbers only (0: auto)")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        if no_file(self, "No file to import given"):
            return {"CANCELLED"}
        obj = face(context)

        def work(progress: Progress) -> tuple[ImportResult, keyframer.ApplyResult]:
            imported = read_any(absolute_path(self.filepath), fmt=self.format, events=self.events,
                                min_confidence=self.min_confidence, fps=self.fps or None)
            progress(0.5)
            return imported, keyframer.apply_timeline(
                obj, imported.timeline, mode=self.mode, scene=context.scene, set_scene_range=True,
                progress=lambda f: progress(0.5 + 0.5 * f))

        done = attempt(self, context, work)
        if done is None:
            return {"CANCELLED"}
        return report_import(self, context, obj, Path(self.filepath), done)


def report_import(op: bpy.types.Operator, context: bpy.types.Context, obj: bpy.types.Object, path: Path,
                  done: tuple[ImportResult, keyframer.ApplyResult]) -> set[OpStatus]:
    """An applied import's report into the panel and the operator's report (files and videos alike)."""
    imported, result = done
    lines = imported.report.lines()
    applying = [w for w in result.warnings if w not in imported.report.warnings]  # e.g. missing controls
    state = settings(context)
    if state is not None:
        state.import_summary = f"{lines[0]}, {result.summary()}"
        set_report(state.import_report, [("WARNING" if line.startswith("warning: ") else "INFO",
                                          line.removeprefix("warning: ")) for line in lines[1:]]
                   + [("WARNING", w) for w in applying])
    return finish(op, imported.report.warnings + applying,
                  f"Imported {path.name} onto {obj.name}: {result.summary()}")


CLASSES = (FACS_OT_import_capture,)
