# SPDX-License-Identifier: GPL-3.0-or-later
"""Rig any head: give a head mesh without face shapes the default head's 52 ARKit keys and
MakeHuman units, and eye and jaw pivots, so every preset and AU works on it (docs/rig_any_head.md).

1. **Landmarks** (:mod:`.rig_any_landmarks`): the head is rendered from the six axis directions
   and read by the built-in reader; the most frontal face's 478 landmarks are cast back onto the
   mesh. The default head (the template, :mod:`.rig_any_template`) is measured the same way once
   per process.
2. **Fit** (:mod:`..core.warp`): a thin-plate spline takes the template's landmarks onto the
   head's; the template's skin and every shape follow (each vertex's move carried as its warped end
   minus its warped start).
3. **Transfer** (:mod:`.rig_any_transfer`): the head's face mesh is bound to the fitted template
   with a Surface Deform modifier; each template key in turn is evaluated through it (C speed) and
   written as a key. A head with eyeballs of its own (:mod:`.rig_any_eyes`) has its eye landmarks
   laid over them before the fit, and its lid shapes bent to close in front of them
   (:mod:`..core.lids`).
4. **Pivots** (:mod:`.rig_any_pivots`): the template's jaw and eye joints, warped, become bones (a
   new armature, or the ones an existing armature lacks); separate eye objects follow the eye
   bones, objects below the mouth the jaw, the face and the rest the head.

Once the transfer has succeeded, the head is turned to Blender's front view (face along -Y, Z up):
the rig's bone axes, the portrait camera and the presets all read the world in that frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import bpy
import numpy as np

from ..core.errors import FacsError
from ..core.lids import Sphere, lids_over_eyes
from ..core.warp import LANDMARKS, HandLandmarks, ThinPlate, fit_landmarks
from .avatar import _build_rig
from .rig_any_eyes import eyeballs, on_eyeballs
from .rig_any_landmarks import FaceFound, NoFaceFound, cast_surfaces, find_face, hand_frame, local_points
from .rig_any_pivots import (
    eye_pivots,
    followers,
    head_objects,
    parent_to_bone,
    pivot_bones,
    turn_to_front,
)
from .rig_any_template import Template, template
from .rig_any_transfer import transfer

__all__ = ["MAX_VERTICES", "Generated", "NoFaceFound", "generate_shapes", "head_objects", "template"]

MAX_VERTICES = 1_000_000
"""Denser face meshes are refused with advice to decimate: the transfer holds every key in memory."""
SMOOTHING = 0.1
"""Thin-plate smoothing: landmarks read on two different heads disagree by a pixel or two."""


@dataclass(frozen=True)
class Generated:
    """What :func:`generate_shapes` did, for the command's report."""

    mesh: bpy.types.Object
    armature: bpy.types.Object
    added: tuple[str, ...]
    kept: tuple[str, ...]
    view: str
    turned_degrees: float
    followers: dict[str, str]  # object name -> bone it follows

    def summary(self) -> str:
        kept = f", kept {len(self.kept)} of the head's own" if self.kept else ""
        turned = f", turned {self.turned_degrees:.0f}° to face -Y" if self.turned_degrees >= 0.5 else ""
        follow = "".join(f"; {name} follows {bone}" for name, bone in sorted(self.followers.items()))
        return (
            f"{self.mesh.name}: generated {len(self.added)} face shapes{kept} (face read from the "
            f"{self.view}{turned}){follow}"
        )


def _face(
    mesh: bpy.types.Object, objects: list[bpy.types.Object], landmarks: HandLandmarks | None
) -> FaceFound:
    """The face's landmarks (world): hand-placed ones, or the reader's."""
    if landmarks is None:
        return find_face(objects, mesh, what=mesh.name)
    points = landmarks.positions(local_points(mesh), mesh.name)
    world = np.array(mesh.matrix_world)
    full = np.full((LANDMARKS, 3), np.nan)
    full[landmarks.indices] = points @ world[:3, :3].T + world[:3, 3]
    return FaceFound(full, *hand_frame(full), view="hand-placed landmarks")


def _fit(
    mesh: bpy.types.Object, objects: list[bpy.types.Object], found: FaceFound, tmpl: Template
) -> tuple[ThinPlate, dict[str, Sphere], FaceFound]:
    """The spline from the template's landmarks to the head's, the head's own eyeballs (world
    spheres) and the landmarks it was fitted to: with eyeballs, the eye landmarks are moved onto
    them and the spline fitted again (:mod:`.rig_any_eyes`)."""
    spline = fit_landmarks(tmpl.landmarks, found.points, SMOOTHING)
    joints = spline(np.array([tmpl.joints["eye.L"], tmpl.joints["eye.R"]]))
    eyes = eyeballs({"eye.L": joints[0], "eye.R": joints[1]}, [ob for ob in objects if ob != mesh])
    if eyes:
        found = on_eyeballs(found, eyes, tmpl, cast_surfaces(objects, mesh))
        spline = fit_landmarks(tmpl.landmarks, found.points, SMOOTHING)
    return spline, eyes, found


def _lids_over_eyes(
    mesh: bpy.types.Object,
    rest: np.ndarray,
    shapes: dict[str, np.ndarray],
    eyes: dict[str, Sphere],
    forward: np.ndarray,
) -> dict[str, np.ndarray]:
    """:func:`..core.lids.lids_over_eyes` in ``mesh``'s own space (``eyes`` and ``forward`` world)."""
    if not eyes:
        return shapes
    inverse = np.array(mesh.matrix_world.inverted())
    local = [Sphere(e.centre @ inverse[:3, :3].T + inverse[:3, 3], e.radius) for e in eyes.values()]
    data = cast(bpy.types.Mesh, mesh.data)
    edges = np.empty(2 * len(data.edges), np.int64)
    data.edges.foreach_get("vertices", edges)
    return lids_over_eyes(rest, shapes, local, inverse[:3, :3] @ forward, edges.reshape(-1, 2))


def generate_shapes(
    mesh: bpy.types.Object,
    armature: bpy.types.Object | None = None,
    *,
    landmarks: HandLandmarks | None = None,
    overwrite: bool = False,
) -> Generated:
    """Give ``mesh`` the template's face shapes and ``armature`` (a new one if None) jaw and eye
    bones; see the module docstring. Keys the mesh already has are kept unless ``overwrite``.
    Raises :class:`NoFaceFound`, :class:`LandmarkError` or :class:`FacsError` before changing
    anything."""
    data = cast(bpy.types.Mesh, mesh.data)
    if len(data.vertices) > MAX_VERTICES:
        raise FacsError(
            f"{mesh.name}: {len(data.vertices):,} vertices is more than the {MAX_VERTICES:,} "
            "a face mesh may have here; decimate it first (Decimate modifier, ratio 0.1)"
        )
    if not data.polygons:
        raise FacsError(f"{mesh.name}: the mesh has no faces to rig")
    tmpl = template()
    objects = head_objects(mesh)
    found = _face(mesh, objects, landmarks)
    existing = set(data.shape_keys.key_blocks.keys()) if data.shape_keys else set()
    wanted = [n for n in tmpl.keys if overwrite or n not in existing]
    kept = tuple(n for n in tmpl.keys if n in existing and not overwrite)
    names = ("neck", "head", "head-2", "mouth", "jaw", "eye.L", "eye.R")
    others = [ob for ob in objects if ob != mesh]
    spline, eyes, found = _fit(mesh, objects, found, tmpl)
    warped = spline(np.array([tmpl.joints[n] for n in names]))
    # the last step that may fail: nothing is changed before it
    shapes = transfer(mesh, spline, wanted, tmpl)
    rest = local_points(mesh)
    shapes = _lids_over_eyes(mesh, rest, shapes, eyes, found.forward)
    turn, degrees = turn_to_front(objects, found)
    warped = warped @ turn[:3, :3].T + turn[:3, 3]
    joints = eye_pivots(dict(zip(names, warped, strict=True)), others)
    if data.shape_keys is None:
        mesh.shape_key_add(name="Basis", from_mix=False)
    blocks = data.shape_keys.key_blocks
    for name in wanted:
        block = blocks.get(name) or mesh.shape_key_add(name=name, from_mix=False)
        block.data.foreach_set("co", (rest + shapes[name]).astype(np.float32).ravel())
        block.value = 0.0
    follow = followers(objects, mesh, joints)
    if armature is None:
        joint_lists = {k: v.tolist() for k, v in joints.items()}
        armature = _build_rig(bpy.context, joint_lists, bpy.context.scene.collection)
        armature.name = f"{mesh.name}_FACS_Rig"
        bones = {pivot: pivot for pivot in ("head", "jaw", "eye.L", "eye.R")}
    else:
        bones = pivot_bones(armature, joints)
    follow = {ob: bones[pivot] for ob, pivot in follow.items() if pivot in bones}
    for ob, bone in follow.items():
        parent_to_bone(ob, armature, bone)
    return Generated(
        mesh=mesh,
        armature=armature,
        added=tuple(wanted),
        kept=kept,
        view=found.view,
        turned_degrees=degrees,
        followers={ob.name: bone for ob, bone in follow.items() if ob != mesh},
    )
