# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a video, an image or a folder of images with the built-in face reader and apply it to the
face like an imported capture (:mod:`.ops_import`).

Reading takes about as long as the video plays, so the operator is modal: a window timer reads a
slice of frames at a time (:class:`..reader.MediaReader`), the window's progress bar and the
panel's status line follow, and Esc or right-click cancels. The scene is touched only once every
frame is read, through the importers' path, so a cancelled or failed read changes nothing.
Headless Blender has no event loop: there the operator reads to the end at once, and tests drive
:class:`MediaImport` slice by slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy

from ..core.errors import FacsError
from ..io import ImportResult
from ..io.formats import MEDIA_EXTENSIONS
from ..io.importer import build
from ..reader import MediaReader, check_available
from . import keyframer
from .ops_common import OpStatus, Progress, absolute_path, attempt, no_file
from .ops_import import OntoFace, report_import
from .props import PATH_OPTIONS, face

SLICE = 0.1
"""Seconds of reading per timer tick: short enough for the window to answer Esc at once."""
INTERVAL = 0.02
"""Seconds between timer ticks."""


@dataclass
class Status:
    """The line the panel shows about the last read: progress, a cancel, or an error. Kept here,
    not in the scene, so a read that changes nothing leaves no trace in the file."""

    text: str = ""
    error: bool = False


STATUS = Status()


def reader_problem() -> str | None:
    """Why the reader cannot run here (a missing package or model), or None."""
    try:
        check_available()
    except FacsError as exc:
        return str(exc)
    return None


def failed(exc: Exception) -> str:
    """An error's message, also kept for the panel's status line."""
    STATUS.text, STATUS.error = str(exc), True
    return STATUS.text


class MediaImport:
    """One read in progress, from opening the media to the applied timeline.

    Opening raises :class:`FacsError` (a file that is not a video or image, a missing package or
    model) before anything is read."""

    def __init__(self, path: Path, *, events: bool = False, fps: float | None = None,
                 mode: keyframer.Mode = "LIVE") -> None:
        self.path, self.events, self.mode = path, events, mode
        self.reader = MediaReader(path, fps=fps)
        self._show("0 %")

    @property
    def fraction(self) -> float:
        return len(self.reader.read) / max(1, self.reader.expected)

    def _show(self, text: str) -> None:
        STATUS.text, STATUS.error = f"{self.path.name}: {text}", False

    def step(self, seconds: float = SLICE) -> bool:
        """Read for about ``seconds``; whether frames are left. Raises :class:`FacsError` on a
        damaged file (the read is then closed)."""
        try:
            more = self.reader.step(seconds)
        except FacsError as exc:
            self.close(failed(exc))
            raise
        self._show(f"{len(self.reader.read)} of {self.reader.expected} frames read "
                   f"({100 * self.fraction:.0f} %), Esc to cancel" if more else "every frame read")
        return more

    def apply(self, context: bpy.types.Context, obj: bpy.types.Object,
              progress: Progress) -> tuple[ImportResult, keyframer.ApplyResult]:
        """The take as a timeline on ``obj``'s AU controls (after the last :meth:`step`). Raises
        :class:`FacsError` (no face in any frame, a key of the user's own on a control) with the
        scene unchanged."""
        try:
            imported = build(self.reader.capture(), events=self.events)
            progress(0.5)
            done = imported, keyframer.apply_timeline(
                obj, imported.timeline, mode=self.mode, scene=context.scene, set_scene_range=True,
                progress=lambda f: progress(0.5 + 0.5 * f))
        except FacsError as exc:
            self.close(failed(exc))
            raise
        self._show(f"imported onto {obj.name}")
        return done

    def cancel(self) -> None:
        self.close(f"{self.path.name}: cancelled after {len(self.reader.read)} frames; nothing changed")

    def close(self, status: str) -> None:
        """Stop reading (decoder thread, model) and say why on the status line."""
        self.reader.close()
        STATUS.text = status


class FACS_OT_read_media(OntoFace, bpy.types.Operator):
    """Read a video, an image or a folder of images with the built-in face reader and animate the
    face from it (replaces facs_rig's animation; Esc cancels)"""

    bl_idname = "facs.read_media"
    bl_label = "Read Video or Images"
    bl_options = {"REGISTER", "UNDO"}

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="File", subtype="FILE_PATH", options=PATH_OPTIONS,
        description="Video (MP4, MOV, MKV, AVI, WebM), image (PNG, JPEG) or a folder of images")
    filter_glob: bpy.props.StringProperty(  # type: ignore[valid-type]
        default=";".join(f"*{ext}" for ext in MEDIA_EXTENSIONS), options={"HIDDEN"})
    fps: bpy.props.FloatProperty(  # type: ignore[valid-type]
        name="Frame Rate", default=0.0, min=0.0, description="Images per second of a folder (0: 30)")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        if no_file(self, "No video or image given"):
            return {"CANCELLED"}
        opened = attempt(self, context, lambda _: MediaImport(
            absolute_path(self.filepath), events=self.events, fps=self.fps or None, mode=self.mode),
            describe=failed)
        if opened is None:
            return {"CANCELLED"}
        self._read, self._face = opened, face(context)
        if bpy.app.background or context.window is None:  # no event loop to step on: read at once
            return self._read_on(context, float("inf"))
        wm = context.window_manager
        self._timer = wm.event_timer_add(INTERVAL, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OpStatus]:
        if event.type in {"ESC", "RIGHTMOUSE"}:
            self._end(context)
            self._read.cancel()
            self.report({"INFO"}, STATUS.text)
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"RUNNING_MODAL"}  # the rest of Blender waits: nothing may change the face meanwhile
        status = self._read_on(context, SLICE)
        if status != {"RUNNING_MODAL"}:
            self._end(context)
        return status

    def _read_on(self, context: bpy.types.Context, seconds: float) -> set[OpStatus]:
        try:
            more = self._read.step(seconds)
        except FacsError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if not bpy.app.background:
            context.window_manager.progress_update(int(100 * self._read.fraction))
            for area in context.screen.areas:
                area.tag_redraw()
        if more:
            return {"RUNNING_MODAL"}
        done = attempt(self, context, lambda progress: self._read.apply(context, self._face, progress))
        if done is None:
            return {"CANCELLED"}
        return report_import(self, context, self._face, self._read.path, done)

    def _end(self, context: bpy.types.Context) -> None:
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        for area in context.screen.areas:
            area.tag_redraw()


CLASSES = (FACS_OT_read_media,)
