# SPDX-License-Identifier: GPL-3.0-or-later
"""Render a scene to an MP4, a PNG sequence or one PNG, with progress and AU ground truth.

The caller prepares the scene (avatar, rig, animation); this module only renders what is there, so
a rigged .blend from anywhere renders the same as one built by the CLI.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np

from ..core import interrupt
from ..core.catalogue import control_sort_key
from ..core.files import check_outputs, merged_on_success, replaced_on_success
from ..core.model import is_control_name
from ..core.quiet import quiet_output
from ..io.openface_labels import write_labels
from ..render.job import Engine, JobError, output_kind
from ..render.progress import Progress
from .avatar import AVATAR_PROP, IDENTITY_PROP
from .render_settings import apply_settings, restored_settings, set_output


@dataclass
class RenderResult:
    files: list[Path]
    frames: list[int]
    seconds: float = 0.0
    labels: Path | None = None
    controls: dict[str, np.ndarray] = field(default_factory=dict)
    """Per-frame values of each AU control, in ``frames`` order (what the labels hold)."""


def control_names(obj: bpy.types.ID) -> list[str]:
    """The AU controls on an object, ordered by AU number then channel."""
    names = filter(is_control_name, obj.keys())
    return sorted(names, key=control_sort_key)


def controlled_objects(scene: bpy.types.Scene) -> list[bpy.types.Object]:
    """The scene's objects that carry AU controls (the rigged faces)."""
    return [obj for obj in scene.objects if control_names(obj)]


def sample_controls(
    scene: bpy.types.Scene, frames: Sequence[int], obj: bpy.types.Object | None = None
) -> dict[str, np.ndarray]:
    """Each AU control's value per frame, read from the evaluated scene (animation, drivers and all),
    so the ground truth is what the renderer saw. Leaves the current frame as it was."""
    if obj is None:
        faces = controlled_objects(scene)
        if not faces:
            return {}
        obj = faces[0]
    names = control_names(obj)
    values = {name: np.zeros(len(frames)) for name in names}
    current = scene.frame_current
    try:
        for i, frame in enumerate(frames):
            scene.frame_set(frame)
            evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
            for name in names:
                values[name][i] = float(evaluated.get(name, obj[name]))
    finally:
        scene.frame_set(current)
    return values


def frames_to_render(scene: bpy.types.Scene, kind: str, frames: tuple[int, int] | None) -> list[int]:
    """The asked-for range, else the scene's range (its current frame for a still)."""
    if kind == "still":
        return [frames[0] if frames else scene.frame_current]
    first, last = frames or (scene.frame_start, scene.frame_end)
    return list(range(first, last + 1))


def render_scene(
    scene: bpy.types.Scene,
    output: str | Path,
    *,
    frames: tuple[int, int] | None = None,
    engine: Engine | None = None,
    resolution: tuple[int, int] | None = None,
    samples: int | None = None,
    threads: int | None = None,
    labels: str | Path | None = None,
    progress: Progress | None = None,
    quiet: bool = True,
    show_progress: bool = True,
) -> RenderResult:
    """Render ``scene`` to ``output`` (``.mp4``, ``.png`` or a folder) and put its settings back.

    ``frames`` defaults to the scene's range (its current frame for a ``.png``). With ``labels``, a
    per-frame CSV of the AU controls' values is written beside it (see :mod:`..io.openface_labels`).
    Without a ``progress`` of its own, a progress line goes to stderr (unless ``show_progress`` is
    off, as in batch workers whose lines would interleave).

    Blender writes to temporary names beside the outputs, moved into place together once every
    frame and the labels are written (a folder's frames replace their namesakes, other files stay):
    a failure, a kill or Ctrl-C leaves the previous files as they were.
    """
    output = Path(output)
    kind = output_kind(output)
    check_outputs({"the output": output, "the labels": labels},
                  folders=frozenset({"the output"}) if kind == "sequence" else frozenset())
    frame_list = frames_to_render(scene, kind, frames)
    if scene.camera is None:
        raise JobError(f"scene {scene.name!r} has no camera to render from")

    result = RenderResult(files=[], frames=frame_list)
    if labels is not None:
        result.controls = sample_controls(scene, frame_list)

    with ExitStack() as staged:
        if kind == "sequence":
            target = staged.enter_context(merged_on_success(output))
        else:
            (target,) = staged.enter_context(replaced_on_success(output))
        with restored_settings(scene, video=kind == "video"), quiet_output(quiet) as stream:
            apply_settings(scene, engine=engine, resolution=resolution, samples=samples, threads=threads)
            set_output(scene, kind, target)
            if progress is None:
                progress = Progress(len(frame_list), stream=stream if show_progress else None)
            rendered = 0

            def frame_done(*_args: object) -> None:
                nonlocal rendered
                rendered += 1
                progress.frame_done()
                interrupt.stop_point(cleanup=_remove_session_files)

            bpy.app.handlers.render_post.append(frame_done)
            try:
                with interrupt.native():
                    if kind == "still":
                        scene.frame_set(frame_list[0])
                        bpy.ops.render.render(write_still=True, scene=scene.name)
                    else:
                        scene.frame_start, scene.frame_end = frame_list[0], frame_list[-1]
                        bpy.ops.render.render(animation=True, scene=scene.name)
            finally:
                bpy.app.handlers.render_post.remove(frame_done)
            result.seconds = progress.elapsed
        written = [target / f"frame_{f:04d}.png" for f in frame_list] if kind == "sequence" else [target]
        if rendered < len(frame_list) or any(not f.is_file() or f.stat().st_size == 0 for f in written):
            raise JobError(f"{output}: the render stopped after {rendered} of {len(frame_list)} frames; "
                           "nothing was replaced")
        if labels is not None:
            (label_file,) = staged.enter_context(replaced_on_success(labels))
            fps = scene.render.fps / scene.render.fps_base
            write_labels(label_file, frame_list, fps, result.controls, first_frame=scene.frame_start,
                         identity=scene_identity(scene))
            result.labels = Path(labels)
    result.files = [output / f.name for f in written] if kind == "sequence" else [output]
    return result


def scene_identity(scene: bpy.types.Scene) -> str | None:
    """The identity of the default head in ``scene`` (its parameters, or ``default``), None when the
    scene has no default head."""
    for ob in scene.objects:
        if ob.type == "MESH" and AVATAR_PROP in ob:  # type: ignore[operator]  # custom properties
            return str(ob.get(IDENTITY_PROP, "default"))
    return None


def _remove_session_files() -> None:
    """Blender's own temporary folder, which it removes when it shuts down normally."""
    shutil.rmtree(bpy.app.tempdir, ignore_errors=True)
