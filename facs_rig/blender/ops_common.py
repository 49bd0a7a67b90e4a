# SPDX-License-Identifier: GPL-3.0-or-later
"""What facs_rig's operators share: polls that say why they refuse, the file-dialog invoke, where a
file they read or write is and how a timeline is written, work run under a progress bar with its
errors reported, and the closing report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import bpy

from ..core.errors import FacsError
from ..core.files import FileError, PathLike, check_outputs
from ..core.model import Timeline
from ..io.parts import write_timeline
from .props import PATH_OPTIONS, face, face_controls

T = TypeVar("T")
Progress = Callable[[float], None]

if TYPE_CHECKING:  # what execute/invoke return: {"FINISHED"}, {"CANCELLED"}, ...
    from bpy.stub_internal.rna_enums import OperatorReturnItems as OpStatus
else:
    OpStatus = str


def refuse_unless(cls: Any, ok: bool, message: str) -> bool:
    """A poll's answer; when refused, Blender shows ``message`` on the greyed-out button."""
    if not ok:
        cls.poll_message_set(message)
    return ok


def poll_active_mesh(cls: Any, context: bpy.types.Context) -> bool:
    obj = context.active_object
    return refuse_unless(cls, obj is not None and obj.type == "MESH", "Select a mesh object")


def poll_face_controls(cls: Any, context: bpy.types.Context) -> bool:
    return refuse_unless(cls, bool(face_controls(face(context))),
                         "The face has no AU controls: build a FACS rig first")


class FileInvoke:
    """An operator with a ``filepath``: given one (a panel button, a script) it runs at once,
    otherwise the file browser asks for one."""

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[OpStatus]:
        if self.filepath:  # type: ignore[attr-defined]
            return self.execute(context)  # type: ignore[attr-defined]
        context.window_manager.fileselect_add(self)  # type: ignore[arg-type]  # mixed into Operators
        return {"RUNNING_MODAL"}


class TimelineFile(FileInvoke):
    """An operator that reads a timeline file."""

    filepath: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Timeline", description="facs-timeline JSON file", subtype="FILE_PATH", options=PATH_OPTIONS)
    filter_glob: bpy.props.StringProperty(default="*.json", options={"HIDDEN"})  # type: ignore[valid-type]


def no_file(op: bpy.types.Operator, message: str) -> bool:
    """Whether ``op`` has no ``filepath``, reported as ``message``."""
    if not op.filepath:  # type: ignore[attr-defined]
        op.report({"ERROR"}, message)
        return True
    return False


def absolute_path(path: str) -> Path:
    """The absolute path of a file an operator reads or writes, resolved before anything is read
    or changed. A ``//`` path is relative to the .blend file; before it is saved Blender would
    resolve it against the working directory, a folder the user never chose: a write would go
    where they may never find it, a read would take some other file or fail as "not found", so it
    is refused instead."""
    if path.startswith("//") and not bpy.data.filepath:
        raise FileError(path, "relative to the .blend file, which is not saved yet: "
                              "save the file first or give a full path")
    return Path(bpy.path.abspath(path))


def save_timeline(path: str, role: str, make: Callable[[Path], Timeline],
                  inputs: Mapping[str, PathLike | None] | None = None) -> tuple[Timeline, list[Path]]:
    """Write the timeline ``make(target)`` returns to the output ``path``, the way the command line
    writes one (:func:`..io.parts.write_timeline`: checked as ``validate`` checks it, in parts when
    it does not fit one file, moved into place only when whole); the target is checked before
    ``make`` runs, so a refused path costs no work. The timeline and the files written."""
    target = absolute_path(path)
    check_outputs({role: target}, inputs)
    timeline = make(target)
    return timeline, write_timeline(timeline, target, role=role, inputs=inputs or {})[1]


def attempt(op: bpy.types.Operator, context: bpy.types.Context, work: Callable[[Progress], T],
            errors: tuple[type[Exception], ...] = (FacsError,),
            describe: Callable[[Exception], str] = str) -> T | None:
    """``work(progress)`` under the window's progress bar (``progress`` takes 0..1); an error of
    ``errors`` becomes the operator's error report and None (the work checks before it changes
    anything, so the scene is as it was)."""
    wm = context.window_manager
    wm.progress_begin(0, 100)
    try:
        return work(lambda f: wm.progress_update(int(100 * f)))
    except errors as exc:
        op.report({"ERROR"}, describe(exc))
        return None
    finally:
        wm.progress_end()


def finish(op: bpy.types.Operator, warnings: Iterable[str], info: str) -> set[OpStatus]:
    """Report the warnings, then what was done."""
    for warning in warnings:
        op.report({"WARNING"}, warning)
    op.report({"INFO"}, info)
    return {"FINISHED"}
