# SPDX-License-Identifier: GPL-3.0-or-later
"""The template: the default head's skin (triangulated), its 86 shapes, its landmarks read the
way a head's are, and its joints; measured once per process and asset file (docs/rig_any_head.md,
step 4)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import cast

import bpy
import numpy as np

from ..io.avatar_asset import AvatarAsset
from .avatar import ASSET_PATH, create_default_avatar, load_asset, removed_afterwards
from .rig_any_landmarks import find_face, local_points

SKIN_MATERIAL = "skin"
INSIDE_MATERIALS = ("mouth", "teeth", "tongue", "lashes")
"""Left out of the surface the default head's landmarks are cast onto (:func:`_seen_from_the_front`)."""
TEMPLATE_PREFIX = "FACS_Template"


@dataclass(frozen=True)
class Template:
    """The default head's skin as the transfer's source: neutral positions, triangles, each shape's
    displacements, its landmarks and joints (all in the head's own frame)."""

    positions: np.ndarray  # (n, 3)
    triangles: np.ndarray  # (t, 3) indices into positions
    keys: tuple[str, ...]
    deltas: np.ndarray  # (keys, n, 3)
    landmarks: np.ndarray  # (478, 3)
    joints: dict[str, np.ndarray]


@cache
def _template(asset_key: tuple[str, int]) -> Template:
    """The default head's skin, shapes, landmarks and joints, measured once per asset file."""
    asset = load_asset()
    with removed_afterwards():
        made = create_default_avatar(
            bpy.context, collection=bpy.context.scene.collection, studio=False, asset=asset
        )
        mesh = cast(bpy.types.Mesh, made.mesh.data)
        skin = asset.face_materials == asset.material_names.index(SKIN_MATERIAL)
        keep = np.zeros(asset.vertex_count, bool)
        starts = np.append(asset.face_starts, len(asset.loop_vertices))
        loop_face = np.repeat(np.arange(len(asset.face_starts)), np.diff(starts))
        keep[asset.loop_vertices[skin[loop_face]]] = True
        rest = local_points(made.mesh)
        surface = mesh_object(made.mesh, rest, _seen_from_the_front(asset, starts, rest))
        found = find_face([made.mesh], made.mesh, what="the default head", cast_on=[surface])
        blocks = [b for b in mesh.shape_keys.key_blocks if b != mesh.shape_keys.reference_key]
        names = tuple(b.name for b in blocks)  # read now: the blocks are freed with the mesh below
        deltas = np.empty((len(blocks), len(rest), 3))
        co = np.empty(3 * len(rest))
        for k, block in enumerate(blocks):
            block.data.foreach_get("co", co)
            deltas[k] = co.reshape(-1, 3) - rest
    renumber = np.cumsum(keep) - 1
    return Template(
        positions=rest[keep],
        triangles=renumber[asset.loop_vertices[_triangles(starts, skin)]],
        keys=names,
        deltas=deltas[:, keep],
        landmarks=found.points,
        joints={
            name: np.asarray(p, float)
            for name, p in zip(asset.joint_names, asset.joint_positions, strict=True)
        },
    )


def _triangles(starts: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The ``chosen`` faces (their loop ``starts``, closed by the loop count) as fans of triangles
    ((t, 3) loop indices): a warped quad may turn concave, which Surface Deform refuses to bind to."""
    first = starts[:-1][chosen]
    counts = np.diff(starts)[chosen]
    fan = np.repeat(np.arange(len(first)), counts - 2)
    corner = np.arange(len(fan)) - np.repeat(np.cumsum(counts - 2) - (counts - 2), counts - 2) + 1
    return np.stack([first[fan], first[fan] + corner, first[fan] + corner + 1], axis=1)


def _seen_from_the_front(asset: AvatarAsset, starts: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """The default head's triangles ((t, 3) vertex indices) that the landmarks are cast onto: not
    :data:`INSIDE_MATERIALS`, and turned to the front (the head looks along -Y). A landmark read
    between the lips then lands on the lips' inner skin, or misses (and is dropped), instead of on
    the teeth 2 cm further in or on the inside of the back of the head; a lid landmark lands on the
    lid, not on the lashes in front of it. The eyeballs stay: a head's lid landmarks land on its
    eyeballs too (:func:`.rig_any_landmarks.cast_surfaces`)."""
    inside = [asset.material_names.index(name) for name in INSIDE_MATERIALS]
    triangles = asset.loop_vertices[_triangles(starts, ~np.isin(asset.face_materials, inside))]
    corners = rest[triangles]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    return triangles[normals[:, 1] < 0]


def mesh_object(source: bpy.types.Object, positions: np.ndarray, triangles: np.ndarray) -> bpy.types.Object:
    """A new object in ``source``'s place with ``positions`` ((n, 3), its own space) and only
    ``triangles`` ((t, 3) vertex indices), linked to the scene."""
    me = bpy.data.meshes.new(TEMPLATE_PREFIX)
    me.vertices.add(len(positions))
    me.vertices.foreach_set("co", positions.astype(np.float32).ravel())
    me.loops.add(triangles.size)
    me.loops.foreach_set("vertex_index", triangles.astype(np.int32).ravel())
    me.polygons.add(len(triangles))
    me.polygons.foreach_set("loop_start", np.arange(0, triangles.size, 3, dtype=np.int32))
    me.update(calc_edges=True)
    ob = bpy.data.objects.new(TEMPLATE_PREFIX, me)
    bpy.context.scene.collection.objects.link(ob)
    ob.matrix_world = source.matrix_world.copy()
    return ob


def template() -> Template:
    """The template for the asset file as it is now (measured again when the asset is rebuilt)."""
    return _template((str(ASSET_PATH), ASSET_PATH.stat().st_mtime_ns))
