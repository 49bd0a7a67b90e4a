# SPDX-License-Identifier: GPL-3.0-or-later
"""The transfer (docs/rig_any_head.md, step 6): the head's face mesh bound to the fitted template
with a Surface Deform modifier; each template key in turn is evaluated through it (C speed) and
read back as the head's displacements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import bpy
import numpy as np

from ..core.errors import FacsError
from ..core.warp import CORRECTIVES, ThinPlate
from .rig_any_template import Template, mesh_object


def _template_object(
    head: bpy.types.Object,
    fitted: np.ndarray,
    deltas: np.ndarray,
    names: Sequence[str],
    triangles: np.ndarray,
) -> bpy.types.Object:
    """The fitted template (``fitted`` positions, world, and the template's ``triangles``) as a mesh
    in ``head``'s space, with its shapes as keys (all at 0)."""
    inverse = np.array(head.matrix_world.inverted())
    local = fitted @ inverse[:3, :3].T + inverse[:3, 3]
    local_deltas = deltas @ inverse[:3, :3].T
    ob = mesh_object(head, local, triangles)
    ob.shape_key_add(name="Basis", from_mix=False)
    for name, delta in zip(names, local_deltas, strict=True):
        block = ob.shape_key_add(name=name, from_mix=False)
        block.data.foreach_set("co", (local + delta).astype(np.float32).ravel())
        block.value = 0.0
    return ob


@contextmanager
def _only_modifier(
    head: bpy.types.Object, target: bpy.types.Object
) -> Iterator[bpy.types.SurfaceDeformModifier]:
    """A bound Surface Deform from ``head`` to ``target``, the head's own modifiers switched off
    meanwhile; everything is put back (and the modifier removed) afterwards."""
    saved = [(m, m.show_viewport) for m in head.modifiers]
    for m, _ in saved:
        m.show_viewport = False
    mod = cast(bpy.types.SurfaceDeformModifier, head.modifiers.new("FACS_Transfer", "SURFACE_DEFORM"))
    try:
        mod.target = target
        mod.falloff = 4.0
        with bpy.context.temp_override(object=head, active_object=head):
            bpy.ops.object.surfacedeform_bind(modifier=mod.name)
        if not mod.is_bound:
            raise FacsError(f"{head.name}: Blender could not bind the face mesh to the fitted template")
        yield mod
    finally:
        head.modifiers.remove(mod)
        for m, shown in saved:
            m.show_viewport = shown


def _evaluated(head: bpy.types.Object, count: int) -> np.ndarray:
    depsgraph = bpy.context.evaluated_depsgraph_get()
    depsgraph.update()
    mesh = head.evaluated_get(depsgraph).data
    co = np.empty(3 * count, np.float32)
    cast(bpy.types.Mesh, mesh).vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def transfer(
    head: bpy.types.Object, spline: ThinPlate, names: Sequence[str], tmpl: Template
) -> dict[str, np.ndarray]:
    """Each template shape in ``names`` as displacements of ``head``'s vertices (in its own space),
    through ``spline`` (template landmarks to the head's, world)."""
    rows = [tmpl.keys.index(n) for n in names]
    fitted = spline(tmpl.positions)
    bases = np.zeros((len(rows), *tmpl.positions.shape))
    for k, name in enumerate(names):
        if name in CORRECTIVES:
            bases[k] = tmpl.deltas[tmpl.keys.index(CORRECTIVES[name])]
    deltas = spline.moves(tmpl.positions, tmpl.deltas[rows], bases, warped=fitted)
    count = len(cast(bpy.types.Mesh, head.data).vertices)
    fitted_ob = _template_object(head, fitted, deltas, names, tmpl.triangles)
    out: dict[str, np.ndarray] = {}
    try:
        with _only_modifier(head, fitted_ob):
            blocks = cast(bpy.types.Mesh, fitted_ob.data).shape_keys.key_blocks
            rest = _evaluated(head, count)
            for name in names:
                blocks[name].value = 1.0
                out[name] = _evaluated(head, count) - rest
                blocks[name].value = 0.0
    finally:
        mesh = fitted_ob.data
        bpy.data.objects.remove(fitted_ob)
        bpy.data.meshes.remove(cast(bpy.types.Mesh, mesh))
    return out
