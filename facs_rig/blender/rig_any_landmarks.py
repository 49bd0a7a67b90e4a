# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the face is on a head, for ``rig`` (docs/rig_any_head.md, steps 1–2): the head is
rendered (Workbench, orthographic) from the six axis directions, the built-in reader reads each
render (in tiles when the face is small) and the most frontal face wins; renders straight at the
face and close up give MediaPipe's 478 landmarks, cast back onto the mesh through the camera with
a BVH tree. Hand-placed landmarks get the face's frame from the eyes, chin and forehead instead."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import bpy
import numpy as np
from mathutils import Matrix, Vector
from mathutils.bvhtree import BVHTree

from ..core.errors import FacsError
from ..core.warp import LandmarkError
from ..reader import FaceReading, Landmarker
from .render import render_scene
from .render_images import read_png

VIEWS = {  # name: (view direction, camera up), world axes
    "front (-Y)": ((0, 1, 0), (0, 0, 1)),
    "back (+Y)": ((0, -1, 0), (0, 0, 1)),
    "right (+X)": ((-1, 0, 0), (0, 0, 1)),
    "left (-X)": ((1, 0, 0), (0, 0, 1)),
    "top (+Z, Y up)": ((0, 0, -1), (0, 1, 0)),
    "bottom (-Z, Y up)": ((0, 0, 1), (0, 1, 0)),
}
"""Where a head may face: glTF, FBX and OBJ importers turn Y-up files Z-up, so the front view is
tried first; a file saved Y-up faces +Z or -Z."""
SEARCH_PIXELS = 480
CLOSE_PIXELS = 512
CLOSE_MARGIN = 1.5
"""The close render frames the first read's landmarks grown by this factor."""


class NoFaceFound(FacsError):
    """The reader found no face (or several) on the head from any direction."""


@dataclass(frozen=True)
class FaceFound:
    """The face on a head, in world coordinates."""

    points: np.ndarray  # (478, 3), NaN where a landmark's ray missed the mesh
    forward: np.ndarray  # unit vector the face looks along
    up: np.ndarray
    view: str


def local_points(mesh: bpy.types.Object) -> np.ndarray:
    data = cast(bpy.types.Mesh, mesh.data)
    co = np.empty(3 * len(data.vertices), np.float64)
    data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def world_points(ob: bpy.types.Object) -> np.ndarray:
    world = np.array(ob.matrix_world)
    return local_points(ob) @ world[:3, :3].T + world[:3, 3]


@contextmanager
def _studio(objects: Sequence[bpy.types.Object]) -> Iterator[tuple[bpy.types.Scene, bpy.types.Object]]:
    """A temporary scene holding only ``objects`` (linked, not copied) and an orthographic camera,
    lit by Workbench's studio light in one skin colour: the same look for every head and the template."""
    scene = bpy.data.scenes.new("FACS_Landmarks")
    camera_data = bpy.data.cameras.new("FACS_Landmarks")
    camera_data.type = "ORTHO"
    camera = bpy.data.objects.new("FACS_Landmarks", camera_data)
    try:
        scene.collection.objects.link(camera)
        for ob in objects:
            scene.collection.objects.link(ob)
        scene.camera = camera
        scene.render.engine = "BLENDER_WORKBENCH"  # type: ignore[assignment]  # stubs: EEVEE only
        shading = scene.display.shading
        shading.light, shading.color_type = "STUDIO", "SINGLE"
        shading.single_color = (0.8, 0.62, 0.52)
        shading.show_cavity = True
        scene.display.render_aa = "5"  # 5 samples: FXAA alone loses small faces, 8 (the default) costs more
        scene.render.film_transparent = False
        yield scene, camera
    finally:
        bpy.data.objects.remove(camera)
        bpy.data.cameras.remove(camera_data)
        bpy.data.scenes.remove(scene)


def _aim(
    camera: bpy.types.Object,
    centre: np.ndarray,
    direction: np.ndarray,
    up: np.ndarray,
    *,
    width: float,
    depth: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Point the orthographic camera along ``direction`` at ``centre``, ``width`` wide; returns the
    image plane's right and up axes."""
    direction = direction / np.linalg.norm(direction)
    right = np.cross(direction, up)
    right /= np.linalg.norm(right)
    true_up = np.cross(right, direction)
    rotation = Matrix(np.column_stack([right, true_up, -direction]).tolist()).to_4x4()
    camera.matrix_world = Matrix.Translation(Vector(centre - direction * depth)) @ rotation
    data = cast(bpy.types.Camera, camera.data)
    data.ortho_scale = width
    data.clip_start, data.clip_end = depth * 1e-3, depth * 4
    return right, true_up


def _read(scene: bpy.types.Scene, pixels: int, landmarker: Landmarker, workdir: Path) -> list[FaceReading]:
    scene.render.resolution_x = scene.render.resolution_y = pixels
    scene.render.resolution_percentage = 100
    path = render_scene(scene, workdir / "view.png", engine="workbench", show_progress=False).files[0]
    image = np.clip(read_png(path)[..., :3] * 255 + 0.5, 0, 255).astype(np.uint8)
    return landmarker.read(image) or _read_tiles(image, landmarker)


def _read_tiles(image: np.ndarray, landmarker: Landmarker) -> list[FaceReading]:
    """Faces too small for the reader's detector (it sees the image at 128 px): read overlapping
    half-size tiles, map their landmarks back to the whole image, and count a face seen by two
    tiles once (its centres within half its size)."""
    height, width = image.shape[:2]
    half_h, half_w = height // 2, width // 2
    found: list[FaceReading] = []
    for top in (0, height // 4, height - half_h):
        for left in (0, width // 4, width - half_w):
            for face in landmarker.read(image[top : top + half_h, left : left + half_w]):
                scale = np.array((half_w / width, half_h / height, half_w / width))
                landmarks = face.landmarks * scale + (left / width, top / height, 0.0)
                whole = replace(face, landmarks=landmarks, width=width, height=height)
                if all(np.linalg.norm(whole.centre - other.centre) > other.size / 2 for other in found):
                    found.append(whole)
    return found


def _frontal(
    reading: FaceReading, right: np.ndarray, up: np.ndarray, direction: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """How squarely the face looks at the camera (1 = straight at it) and its forward and up axes
    in the world: the reader's matrix takes the canonical face (looking along its +z, towards the
    viewer) into camera space (x right, y up, z towards the viewer)."""
    rotation = reading.matrix[:3, :3] / np.linalg.norm(reading.matrix[:3, 0])
    to_world = np.column_stack([right, up, -direction])
    forward = to_world @ rotation[:, 2]
    face_up = to_world @ rotation[:, 1]
    return float(rotation[2, 2]), forward / np.linalg.norm(forward), face_up / np.linalg.norm(face_up)


def _one_or_none(faces: list[FaceReading], what: str, view: str) -> list[FaceReading]:
    if len(faces) > 1:
        raise NoFaceFound(
            f"{what}: {len(faces)} faces seen from the {view}: give one head per file "
            "(or pick its mesh with --object)"
        )
    return faces


def find_face(
    objects: Sequence[bpy.types.Object],
    surface: bpy.types.Object,
    *,
    what: str = "the head",
    cast_on: Sequence[bpy.types.Object] = (),
) -> FaceFound:
    """The 478 landmarks of the one face among ``objects``, cast onto ``surface`` and the head's
    small meshes (see :func:`cast_surfaces`), or onto ``cast_on`` when given. Raises
    :class:`NoFaceFound` when no view shows a face, or one shows several."""
    points = np.vstack([world_points(ob) for ob in objects if ob.type == "MESH"])
    lo, hi = points.min(0), points.max(0)
    centre, size = (lo + hi) / 2, float(np.linalg.norm(hi - lo))
    best: tuple[float, str, np.ndarray, np.ndarray, _Shot] | None = None
    with (
        _studio(objects) as (scene, camera),
        Landmarker(faces=2) as landmarker,
        tempfile.TemporaryDirectory(prefix="facs_rig_face_", dir=bpy.app.tempdir) as tmp,
    ):
        workdir = Path(tmp)

        def shoot(
            at: np.ndarray, direction: np.ndarray, up: np.ndarray, width: float, *, pixels: int, view: str
        ) -> _Shot | None:
            right, true_up = _aim(camera, at, direction, up, width=width, depth=size)
            faces = _one_or_none(_read(scene, pixels, landmarker, workdir), what, view)
            return _Shot(faces[0], at, width, right, true_up, direction) if faces else None

        for view, (direction, up) in VIEWS.items():
            shot = shoot(
                centre, np.array(direction, float), np.array(up, float), size, pixels=SEARCH_PIXELS, view=view
            )
            if shot is not None:
                score, forward, face_up = _frontal(shot.reading, shot.right, shot.up, shot.direction)
                if best is None or score > best[0]:
                    best = (score, view, forward, face_up, shot)
                if score > 0.97:
                    break
        if best is None:
            raise NoFaceFound(
                f"{what}: no face found from any side ({', '.join(VIEWS)}); "
                "place the landmarks by hand with --landmarks"
            )
        _, view, forward, face_up, shot = best
        # Straight at the face, then close up: landmarks to a fraction of a pixel of the head. A
        # stylised face may read only from where it was first seen; that read then stands.
        shot = shoot(centre, -forward, face_up, size, pixels=CLOSE_PIXELS, view=view) or shot
        xy = (shot.reading.landmarks[:, :2] - 0.5) * shot.width
        middle = (xy.min(0) + xy.max(0)) / 2
        close_at = shot.at + middle[0] * shot.right - middle[1] * shot.up
        close_width = float((xy.max(0) - xy.min(0)).max()) * CLOSE_MARGIN
        shot = shoot(close_at, shot.direction, shot.up, close_width, pixels=CLOSE_PIXELS, view=view) or shot
    xy = (shot.reading.landmarks[:, :2] - 0.5) * shot.width
    origins = shot.at[None] + xy[:, :1] * shot.right - xy[:, 1:2] * shot.up - shot.direction * size
    surfaces = list(cast_on) or cast_surfaces(objects, surface)
    return FaceFound(ray_caster(surfaces)(origins, shot.direction), forward, face_up, view)


def cast_surfaces(objects: Sequence[bpy.types.Object], surface: bpy.types.Object) -> list[bpy.types.Object]:
    """What the landmarks are cast onto: the face mesh and the head's small separate meshes
    (eyeballs, teeth: under a quarter of the face mesh's size), so a lid landmark lands on a proud
    eyeball in front of the socket, as it lands on the template's eyeball, not on the socket skin
    behind it. Hair, hats and the like are left out."""

    def size(ob: bpy.types.Object) -> float:
        return float(np.max(np.array(ob.dimensions)))

    limit = size(surface) / 4
    return [surface] + [ob for ob in objects if ob != surface and ob.type == "MESH" and 0 < size(ob) < limit]


@dataclass(frozen=True)
class _Shot:
    """One read of the face and the orthographic camera it was read through."""

    reading: FaceReading
    at: np.ndarray
    width: float
    right: np.ndarray
    up: np.ndarray
    direction: np.ndarray


RayCaster = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``(origins, direction) -> hits``: see :func:`ray_caster`."""


def ray_caster(surfaces: Sequence[bpy.types.Object]) -> RayCaster:
    """Where rays from ``origins`` along ``direction`` first meet any of ``surfaces`` (world; NaN for
    a miss): one BVH query per landmark and surface. The surfaces' BVHs are built once, here, for
    every cast made through the returned function (the surfaces must not change meanwhile)."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    trees = [
        (cast(BVHTree, BVHTree.FromObject(surface, depsgraph)), surface.matrix_world.copy())  # type: ignore[arg-type]  # stubs: two Objects
        for surface in surfaces
    ]

    def cast_along(origins: np.ndarray, direction: np.ndarray) -> np.ndarray:
        hits = np.full((len(origins), 3), np.nan)
        nearest = np.full(len(origins), np.inf)
        for tree, world in trees:
            inverse = world.inverted()
            local_direction = (inverse.to_3x3() @ Vector(direction.tolist())).normalized()
            for i, origin in enumerate(origins):
                location = tree.ray_cast(inverse @ Vector(origin.tolist()), local_direction)[0]
                if location is not None:
                    hit = np.array(world @ location)
                    if (distance := float((hit - origin) @ direction)) < nearest[i]:
                        hits[i], nearest[i] = hit, distance
        return hits

    return cast_along


def hand_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward and up of a face from hand-placed landmarks: the eyes' line and the chin-to-forehead
    line span the face; forward is their normal."""

    def mean(*indices: int) -> np.ndarray:
        picked = points[list(indices)]
        picked = picked[~np.isnan(picked).any(1)]
        if not len(picked):
            raise LandmarkError(
                "hand-placed landmarks need at least one point of each eye, the chin and "
                "the forehead or nose tip (e.g. eye_outer.L, eye_outer.R, chin, nose_tip)"
            )
        return np.asarray(picked.mean(0))

    left = mean(263, 362, 386, 374) - mean(33, 133, 159, 145)
    up = mean(10, 1) - mean(152, 17)
    forward = np.cross(left, up)
    up = np.cross(forward, left)
    return forward / np.linalg.norm(forward), up / np.linalg.norm(up)
