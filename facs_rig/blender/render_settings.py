# SPDX-License-Identifier: GPL-3.0-or-later
"""Render settings that differ between Blender 4.2 and 5.0, set in one place.

EEVEE's identifier changed (``BLENDER_EEVEE_NEXT`` on 4.2–4.5, ``BLENDER_EEVEE`` on 5.0) and 5.0
splits the output format into a media type and a file format (set ``media_type`` first or setting
``file_format`` raises). Everything else here is the same on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import bpy

from ..render.job import Engine, JobError, OutputKind

WORKBENCH_AA: tuple[Literal["5", "8", "11", "16", "32"], ...] = ("5", "8", "11", "16", "32")
"""Workbench's anti-aliasing choices: ``--samples`` picks the smallest that is at least N."""


def engine_id(engine: Engine) -> str:
    if engine == "workbench":
        return "BLENDER_WORKBENCH"
    if engine == "cycles":
        return "CYCLES"
    if engine == "eevee":
        return "BLENDER_EEVEE" if bpy.app.version >= (5, 0, 0) else "BLENDER_EEVEE_NEXT"
    raise JobError(f"engine {engine!r}: expected workbench, eevee or cycles")


def engine_name(identifier: str) -> Engine:
    """The CLI's engine name for a scene's engine identifier (any version)."""
    if identifier == "CYCLES":
        return "cycles"
    if identifier.startswith("BLENDER_EEVEE"):
        return "eevee"
    return "workbench"


def set_engine(scene: bpy.types.Scene, engine: Engine, samples: int | None = None) -> None:
    """Pick the engine and, when given, its sample count. Cycles renders on the CPU: farm workers
    and CI have no GPU, and a GPU setting in a .blend would fail there."""
    scene.render.engine = engine_id(engine)  # type: ignore[assignment]  # stubs: EEVEE only (items are dynamic)
    if engine == "cycles":
        scene.cycles.device = "CPU"
        if samples:
            scene.cycles.samples = samples
            scene.cycles.use_adaptive_sampling = False
    elif engine == "eevee" and samples:
        scene.eevee.taa_render_samples = samples
    elif engine == "workbench" and samples:
        # one sample is "OFF": Blender has no "1"
        scene.display.render_aa = "OFF" if samples == 1 else next(
            (aa for aa in WORKBENCH_AA if int(aa) >= samples), WORKBENCH_AA[-1])


def set_threads(scene: bpy.types.Scene, threads: int) -> None:
    scene.render.threads_mode = "FIXED"
    scene.render.threads = threads


def set_resolution(scene: bpy.types.Scene, resolution: tuple[int, int]) -> None:
    render = scene.render
    render.resolution_x, render.resolution_y = resolution
    render.resolution_percentage = 100


def apply_settings(
    scene: bpy.types.Scene,
    *,
    engine: Engine | None = None,
    resolution: tuple[int, int] | None = None,
    samples: int | None = None,
    threads: int | None = None,
) -> None:
    """Set what is given and keep the scene's own values for the rest (samples alone apply to the
    scene's engine)."""
    if engine is not None or samples is not None:
        set_engine(scene, engine or engine_name(scene.render.engine), samples)
    if resolution is not None:
        set_resolution(scene, resolution)
    if threads is not None:
        set_threads(scene, threads)


def output_size(scene: bpy.types.Scene) -> tuple[int, int]:
    render = scene.render
    scale = render.resolution_percentage / 100
    return int(render.resolution_x * scale), int(render.resolution_y * scale)


def set_output(scene: bpy.types.Scene, kind: OutputKind, path: Path) -> None:
    """Point the scene's output at ``path``: H.264 MP4, a PNG sequence in a folder, or one PNG."""
    render = scene.render
    settings = render.image_settings
    if kind == "video":
        width, height = output_size(scene)
        if width % 2 or height % 2:
            raise JobError(f"{path}: H.264 video needs an even width and height, not {width}x{height}")
        if hasattr(settings, "media_type"):
            settings.media_type = "VIDEO"
        settings.file_format = "FFMPEG"
        render.ffmpeg.format = "MPEG4"
        render.ffmpeg.codec = "H264"
        render.ffmpeg.constant_rate_factor = "HIGH"
        render.ffmpeg.ffmpeg_preset = "GOOD"
        render.ffmpeg.audio_codec = "NONE"
        render.filepath = str(path)
    else:
        if hasattr(settings, "media_type"):
            settings.media_type = "IMAGE"
        settings.file_format = "PNG"
        settings.color_mode = "RGBA" if render.film_transparent else "RGB"
        settings.color_depth = "8"
        render.filepath = str(path / "frame_####.png") if kind == "sequence" else str(path)
    render.use_file_extension = True
    render.use_overwrite = True


# The settings a render changes, in the order they must be restored (media type before format).
_SAVED = (
    ("render", "engine"),
    ("render", "resolution_x"),
    ("render", "resolution_y"),
    ("render", "resolution_percentage"),
    ("render", "use_border"),
    ("render", "use_crop_to_border"),
    ("render", "border_min_x"),
    ("render", "border_max_x"),
    ("render", "border_min_y"),
    ("render", "border_max_y"),
    ("render", "filepath"),
    ("render", "use_file_extension"),
    ("render", "use_overwrite"),
    ("render", "threads_mode"),
    ("render", "threads"),
    ("render.image_settings", "media_type"),
    ("render.image_settings", "file_format"),
    ("render.image_settings", "color_mode"),
    ("render.image_settings", "color_depth"),
    ("render.ffmpeg", "format"),
    ("render.ffmpeg", "codec"),
    ("render.ffmpeg", "constant_rate_factor"),
    ("render.ffmpeg", "ffmpeg_preset"),
    ("render.ffmpeg", "audio_codec"),
    ("cycles", "device"),
    ("cycles", "samples"),
    ("cycles", "use_adaptive_sampling"),
    ("eevee", "taa_render_samples"),
    ("display", "render_aa"),
    ("", "frame_start"),
    ("", "frame_end"),
)


def _owner(scene: bpy.types.Scene, path: str) -> Any:
    owner: Any = scene
    for part in filter(None, path.split(".")):
        owner = getattr(owner, part, None)
    return owner


@contextmanager
def restored_settings(scene: bpy.types.Scene, video: bool = False) -> Iterator[None]:
    """Render with temporary settings and leave the user's scene exactly as it was.

    The panel's render buttons must not change the file (they are not undo steps), so everything a
    render sets is put back, the current frame included, even when the render fails.
    """
    saved = []
    for path, attr in _SAVED:
        owner = _owner(scene, path)
        if owner is not None and hasattr(owner, attr):
            saved.append((owner, attr, getattr(owner, attr)))
    frame = scene.frame_current
    try:
        yield
    finally:
        for owner, attr, value in saved:
            if getattr(owner, attr) != value:
                setattr(owner, attr, value)
        if scene.frame_current != frame:
            scene.frame_set(frame)
