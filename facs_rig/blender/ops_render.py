# SPDX-License-Identifier: GPL-3.0-or-later
"""Render buttons: a still, the animation (with AU labels) and the AU atlas, to a chosen path.

They render the scene as it is set up (engine, resolution, camera) and change nothing in the file
(render settings and AU values are put back), so they are not undo steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import bpy

from ..core.errors import FacsError
from ..render.atlas import DEFAULT_LEVELS
from ..render.job import JobError, output_kind
from ..render.progress import Progress
from .addon import preferences
from .atlas import render_atlas
from .ops_common import OpStatus, absolute_path, attempt, finish, refuse_unless
from .ops_common import Progress as BarUpdate
from .props import PATH_OPTIONS
from .render import controlled_objects, render_scene

OUTPUTS = {"still": "facs_still.png", "animation": "facs_animation.mp4", "atlas": "facs_atlas.png"}
"""The file each button writes, beside the .blend file unless told otherwise (the Render section
puts them in its output folder)."""


def _output(kind: str, description: str = "PNG file to write") -> Any:  # a deferred bpy.props.StringProperty
    """A button's ``filepath``: the same kind of path field for all three, only the default differs."""
    return bpy.props.StringProperty(name="Output", description=description, subtype="FILE_PATH",
                                    default="//" + OUTPUTS[kind], options=PATH_OPTIONS)


def _face(context: bpy.types.Context) -> bpy.types.Object | None:
    """The active object if it is a rigged face, else the scene's first one."""
    active = context.active_object
    if active is not None and active in controlled_objects(context.scene):
        return active
    faces = controlled_objects(context.scene)
    return faces[0] if faces else None


def _frames(progress: BarUpdate, total: int) -> Progress:
    """Frame counting that drives the window's progress bar (see ``ops_common.attempt``)."""
    return Progress(total, callback=lambda done, _total, _text: progress(done / total))


class _RenderOperator:
    """What the three buttons share: they need a camera, and they report one line, as an error
    (cancelled, nothing written) or as what they wrote."""

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return refuse_unless(cls, context.scene is not None and context.scene.camera is not None,
                             "The scene needs a camera to render from")

    def _run(self, context: bpy.types.Context, render: Callable[[BarUpdate], str]) -> set[OpStatus]:
        """Call ``render(progress)`` (which returns what it wrote) and report the outcome."""
        op = cast(bpy.types.Operator, self)  # this class is mixed into the Operators below
        wrote = attempt(op, context, render, errors=(FacsError, RuntimeError))
        if wrote is None:
            return {"CANCELLED"}
        return finish(op, (), f"Wrote {wrote}")


class FACS_OT_render_still(_RenderOperator, bpy.types.Operator):
    """Render the current frame to a PNG file"""

    bl_idname = "facs.render_still"
    bl_label = "Render Still"
    bl_options = {"REGISTER"}

    filepath: _output("still")  # type: ignore[valid-type]

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        def render(progress: BarUpdate) -> str:
            path = absolute_path(self.filepath)
            if output_kind(path) != "still":
                raise JobError(f"{path}: a still is written as a .png file")
            frame = context.scene.frame_current
            render_scene(context.scene, path, frames=(frame, frame), quiet=False,
                         progress=_frames(progress, 1))
            return str(path)

        return self._run(context, render)


class FACS_OT_render_animation(_RenderOperator, bpy.types.Operator):
    """Render the scene's frame range to an MP4 or a folder of PNG frames, with AU labels"""

    bl_idname = "facs.render_animation"
    bl_label = "Render Animation"
    bl_options = {"REGISTER"}

    filepath: _output(  # type: ignore[valid-type]
        "animation", "An .mp4 file (H.264 video) or a folder (PNG frames)")
    labels: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="AU Labels",
        description="Also write each frame's AU values as an OpenFace-style CSV beside the output",
        default=True,
    )

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        scene = context.scene

        def render(progress: BarUpdate) -> str:
            path = absolute_path(self.filepath)
            if output_kind(path) == "still":
                raise JobError(f"{path}: an animation is written as an .mp4 file or a folder")
            labels = None
            if self.labels and controlled_objects(scene):
                labels = path.with_name(f"{path.stem or path.name}_labels.csv")
            total = scene.frame_end - scene.frame_start + 1
            result = render_scene(scene, path, labels=labels, quiet=False, progress=_frames(progress, total))
            extra = f" and {result.labels.name}" if result.labels else ""
            return f"{path} ({len(result.frames)} frames){extra}"

        return self._run(context, render)


class FACS_OT_render_atlas(_RenderOperator, bpy.types.Operator):
    """Render a labelled contact sheet of the rig's action units at chosen intensities"""

    bl_idname = "facs.render_atlas"
    bl_label = "Render AU Atlas"
    bl_options = {"REGISTER"}

    filepath: _output("atlas")  # type: ignore[valid-type]
    levels: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Levels", description="Intensity letters shown beside the neutral face, e.g. A,C,E",
        default=",".join(DEFAULT_LEVELS),
    )
    tile: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Tile Size", description="Width of each face in pixels", default=256, min=32, max=2048
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return super().poll(context) and refuse_unless(
            cls, _face(context) is not None, "The scene has no face with a FACS rig")

    def execute(self, context: bpy.types.Context) -> set[OpStatus]:
        levels = tuple(x.strip().upper() for x in self.levels.split(",") if x.strip())
        prefs = preferences(context)
        return self._run(context, lambda _progress: str(render_atlas(
            context.scene, absolute_path(self.filepath), obj=_face(context), levels=levels,
            scale=getattr(prefs, "intensity_scale", None), tile=self.tile, quiet=False)))


CLASSES = (FACS_OT_render_still, FACS_OT_render_animation, FACS_OT_render_atlas)
