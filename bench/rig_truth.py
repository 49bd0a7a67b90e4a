# SPDX-License-Identifier: GPL-3.0-or-later
"""Ground truth for ``rig`` (issue 13): the default head in another identity, re-meshed so its
topology differs, with its true shapes carried along exactly, then stripped and generated again.

Re-meshing is a simple subdivision (``levels``) and a triangulation: both are linear in the vertex
positions, so evaluating the modifiers with one key at 1 gives that key's true displacement on the
new vertices. Shared by ``bench/bench_rig_any.py`` and ``tests/blender/test_rig_any.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import bpy
import numpy as np

from facs_rig.blender.avatar import create_default_avatar
from facs_rig.core.warp import shape_agreement

IDENTITY = "gender=0.1,age=60,african=0.6,asian=0.2,caucasian=0.2"


@dataclass(frozen=True)
class Truth:
    head: bpy.types.Object
    true: dict[str, np.ndarray]  # key -> (n, 3) displacement on the new topology
    skin: np.ndarray  # (n,) bool: vertices of skin faces, where shapes are compared
    size: float  # face size: the distance between the outer eye corners' vertices times 2.5


def _evaluated(ob: bpy.types.Object) -> np.ndarray:
    depsgraph = bpy.context.evaluated_depsgraph_get()
    mesh = cast(bpy.types.Mesh, ob.evaluated_get(depsgraph).data)
    co = np.empty(3 * len(mesh.vertices), np.float64)
    mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def make_truth(levels: int = 1, identity: str = IDENTITY, *, shapes: bool = True) -> Truth:
    """A new head (mesh ``Truth_Head``, no keys, no armature) in the current scene, and its true
    shapes (none when ``shapes`` is False: a head for timing only)."""
    made = create_default_avatar(bpy.context, studio=False, identity=identity)
    source = made.mesh
    source.modifiers.clear()
    source.parent = None
    bpy.data.objects.remove(made.rig)
    subdivide = source.modifiers.new("Subdivide", "SUBSURF")
    subdivide.subdivision_type, subdivide.levels = "SIMPLE", levels
    source.modifiers.new("Triangulate", "TRIANGULATE").quad_method = "FIXED"
    blocks = cast(bpy.types.Mesh, source.data).shape_keys.key_blocks
    rest = _evaluated(source)
    true = {}
    for block in blocks[1:] if shapes else ():
        block.value = 1.0
        true[block.name] = _evaluated(source) - rest
        block.value = 0.0
    depsgraph = bpy.context.evaluated_depsgraph_get()
    mesh = bpy.data.meshes.new_from_object(source.evaluated_get(depsgraph))
    head = bpy.data.objects.new("Truth_Head", mesh)
    bpy.context.scene.collection.objects.link(head)
    materials = np.empty(len(mesh.polygons), np.int32)
    mesh.polygons.foreach_get("material_index", materials)
    skin = np.zeros(len(mesh.vertices), bool)
    loops = np.empty(len(mesh.loops), np.int32)
    mesh.loops.foreach_get("vertex_index", loops)
    totals = np.empty(len(mesh.polygons), np.int32)
    mesh.polygons.foreach_get("loop_total", totals)
    skin[loops[np.repeat(materials == 0, totals)]] = True
    old = source.data
    bpy.data.objects.remove(source)
    bpy.data.meshes.remove(old)
    size = float(np.ptp(rest[skin][:, 0]))
    return Truth(head, true, skin, size)


def compare(truth: Truth, made: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """Per key: correlation of the displacement fields on skin, largest error over face size."""
    return {
        name: shape_agreement(made[name][truth.skin], true[truth.skin], truth.size)
        for name, true in truth.true.items()
        if name in made and np.abs(true[truth.skin]).max() > 1e-6
    }
