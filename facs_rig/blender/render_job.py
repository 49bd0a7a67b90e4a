# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one :class:`~facs_rig.render.job.RenderJob` in this Blender: build or open the avatar, rig
it if needed, play the timeline on it, render. The CLI, batch workers and Ray tasks all come here,
so a job gives the same pixels wherever it runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np

from ..core.describe import timeline_code
from ..core.model import Timeline
from ..core.quiet import quiet_output
from ..core.timeline import load as load_timeline
from ..render.job import DEFAULT_ENGINE, DEFAULT_RESOLUTION, JobError, RenderJob
from ..render.result import JobResult
from .avatar_studio import portrait_camera
from .keyframer import apply_timeline, scene_fps
from .render import controlled_objects, frames_to_render, render_scene, sample_controls
from .render_settings import engine_name, output_size
from .rig import build_rig, shape_key_names
from .rig_files import SCENE_FILES, OpenedAvatar, open_avatar


@dataclass
class Prepared:
    scene: bpy.types.Scene
    faces: list[bpy.types.Object]
    timeline: Timeline | None = None
    warnings: list[str] = field(default_factory=list)


def _open_avatar(avatar: str, camera: str = "", identity: str = "") -> OpenedAvatar:
    """The default avatar (with camera and lights, set up for Workbench) in an empty file, or an
    avatar file as it is. A file without a camera gets one framed on its face, with the default
    head's lights (:func:`.avatar_studio.portrait_camera`); ``camera`` names the one to use. Files
    that carry no render settings (.glb, .fbx, .obj) render like the default head."""
    opened = open_avatar(avatar, studio=True, identity=identity)
    scene = bpy.context.scene
    portrait_camera(scene, opened.mesh, opened.armature, camera)
    if opened.source == "default" or Path(opened.source).suffix.lower() not in SCENE_FILES:
        scene.render.engine = "BLENDER_WORKBENCH"  # type: ignore[assignment]  # stubs: EEVEE only
        scene.render.resolution_x, scene.render.resolution_y = DEFAULT_RESOLUTION
        scene.render.resolution_percentage = 100
    return opened


def _faces(
    scene: bpy.types.Scene, opened: OpenedAvatar, preset: str
) -> tuple[list[bpy.types.Object], list[str]]:
    """The rigged faces, rigging the avatar's face mesh when nothing is rigged yet (or re-rigging
    with ``preset`` when one is named)."""
    faces = controlled_objects(scene)
    if faces and preset == "auto":
        return faces, []
    candidates = faces or ([opened.mesh] if shape_key_names(opened.mesh) else [])
    if not candidates:
        raise JobError(f"scene {scene.name!r} has no rigged face and no mesh with shape keys to rig")
    warnings = []
    for obj in candidates:
        armature = opened.armature if obj == opened.mesh else None
        warnings += build_rig(obj, preset, armature=armature).warnings
    return candidates, warnings


def open_rigged(
    avatar: str,
    preset: str = "auto",
    *,
    rig: bool = True,
    camera: str = "",
    identity: str = "",
    quiet: bool = True,
) -> Prepared:
    """Open the avatar (``default`` or a file) with its faces rigged and a camera (``camera``, the
    file's, or one framed on the face). A rigged .blend stays as it is unless a preset is named;
    ``rig=False`` takes a .blend entirely as it is. With ``quiet``, what Blender, its importers and
    the face reader print while opening, generating face shapes and rigging is dropped
    (:func:`..core.quiet.quiet_output`); facs_rig's own notes still reach stderr."""
    with quiet_output(quiet):
        opened = _open_avatar(avatar, camera, identity)
        warnings: list[str] = []
        scene = bpy.context.scene
        faces: list[bpy.types.Object] = controlled_objects(scene)
        if rig or preset != "auto" or avatar == "default":
            faces, rig_warnings = _faces(scene, opened, preset)
            warnings += rig_warnings
    return Prepared(scene, faces, None, warnings)


def prepare(job: RenderJob, *, quiet: bool = True) -> Prepared:
    """The scene of ``job``, animated and ready to render (nothing rendered yet); ``quiet`` as in
    :func:`open_rigged`."""
    timeline = load_timeline(job.timeline) if job.timeline else None
    prepared = open_rigged(job.avatar, job.preset, rig=timeline is not None, camera=job.camera,
                           identity=job.identity, quiet=quiet)
    if timeline is not None:
        for obj in prepared.faces:
            prepared.warnings += apply_timeline(obj, timeline, scene=prepared.scene,
                                                set_scene_range=True).warnings
        prepared.warnings += list(timeline.warnings)
        prepared.timeline = timeline
    prepared.warnings = list(dict.fromkeys(prepared.warnings))
    return prepared


def peak_frame(scene: bpy.types.Scene, face: bpy.types.Object) -> int:
    """The frame where the face moves most (largest sum of AU controls): a still of a timeline
    should show the expression, not the neutral face it starts from."""
    frames = list(range(scene.frame_start, scene.frame_end + 1))
    values = sample_controls(scene, frames, face)
    if not values:
        return scene.frame_current
    total = np.sum(np.stack(list(values.values())), axis=0)
    return frames[int(np.argmax(total))]


def run_render_job(job: RenderJob, *, quiet: bool = True, show_progress: bool = True) -> JobResult:
    """Prepare and render ``job``; returns what the manifest records (raises on failure). ``quiet``
    drops Blender's own output from opening the avatar to the last frame."""
    start = time.perf_counter()
    prepared = prepare(job, quiet=quiet)
    scene = prepared.scene
    frames = job.frames
    if job.kind == "still" and frames is None and prepared.timeline is not None and prepared.faces:
        frame = peak_frame(scene, prepared.faces[0])
        frames = (frame, frame)
    engine = job.engine or (DEFAULT_ENGINE if job.avatar == "default" else None)
    result = render_scene(
        scene, job.output, frames=frames, engine=engine, resolution=job.resolution, samples=job.samples,
        threads=job.threads, labels=job.labels, quiet=quiet, show_progress=show_progress,
    )
    fps = scene_fps(scene)
    rendered = frames_to_render(scene, job.kind, frames)
    facs = ""
    if prepared.timeline is not None:
        times = (np.arange(rendered[0], rendered[-1] + 1) - scene.frame_start) / fps
        facs = timeline_code(prepared.timeline, times)
    return JobResult(
        name=job.name,
        output=job.output,
        files=len(result.files),
        frames=(rendered[0], rendered[-1]),
        fps=round(fps, 3),
        duration=round(len(rendered) / fps, 3),
        facs=facs,
        engine=engine or engine_name(scene.render.engine),
        resolution=job.resolution or output_size(scene),
        seconds=round(time.perf_counter() - start, 2),
        labels=str(result.labels) if result.labels else "",
        warnings=tuple(prepared.warnings),
    )
