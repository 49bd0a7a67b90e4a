# SPDX-License-Identifier: GPL-3.0-or-later
"""How a mesh's surface turns, stretches and scales around each vertex between two shapes of the
same mesh (per-vertex deformation gradients), so an offset made for one shape can be carried to
the other: a lip-roll made on thin lips rolls fuller lips in as far, an eye closure made on one
eye shape closes another.

Each vertex's gradient is the 3×3 matrix that best maps its one-ring edges in the first shape onto
the same edges in the second (least squares), with the vertex normal, scaled by the ring's mean
edge length, as one more edge pair so the fit is defined across the surface too (as Sumner and
Popović's fourth vertex in *Deformation Transfer for Triangle Meshes*, 2004). Everything is bulk
numpy over edges and vertices; pure, so it is tested without Blender.
"""

from __future__ import annotations

import numpy as np


def polygon_edges(face_starts: np.ndarray, loop_vertices: np.ndarray) -> np.ndarray:
    """The mesh's edges, each once, ``(E, 2)`` vertex indices (smaller first), from faces stored as
    loops (``face_starts[i]`` is face ``i``'s first loop)."""
    loops = len(loop_vertices)
    ends = np.append(face_starts[1:], loops)
    following = np.arange(1, loops + 1)
    following[ends - 1] = face_starts  # a face's last loop closes back to its first
    pairs = np.sort(np.stack([loop_vertices, loop_vertices[following]], axis=1), axis=1)
    return np.asarray(np.unique(pairs, axis=0))


def vertex_normals(positions: np.ndarray, face_starts: np.ndarray, loop_vertices: np.ndarray) -> np.ndarray:
    """Unit normals: each vertex's sum of its faces' area vectors (faces fanned into triangles from
    their first corner); a vertex on no face gets a zero vector."""
    loops = len(loop_vertices)
    ends = np.append(face_starts[1:], loops)
    face_of = np.repeat(np.arange(len(face_starts)), ends - face_starts)
    loop = np.arange(loops)
    inner = np.flatnonzero((loop != face_starts[face_of]) & (loop + 1 < ends[face_of]))
    corner = positions[loop_vertices[face_starts[face_of[inner]]]]
    area = np.cross(positions[loop_vertices[inner]] - corner, positions[loop_vertices[inner + 1]] - corner)
    faces = len(face_starts)
    face_area = np.stack([np.bincount(face_of[inner], area[:, k], faces) for k in range(3)], axis=1)
    per_loop = face_area[face_of]
    n = np.stack([np.bincount(loop_vertices, per_loop[:, k], len(positions)) for k in range(3)], axis=1)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def ring_lengths(positions: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each vertex's mean edge length over ``edges`` ((e, 2) vertex pairs); 0 on no edge."""
    v = np.concatenate([edges[:, 0], edges[:, 1]])
    lengths = np.linalg.norm(positions[edges[:, 1]] - positions[edges[:, 0]], axis=1)
    total = np.bincount(v, np.concatenate([lengths, lengths]), len(positions))
    return np.asarray(total / np.maximum(np.bincount(v, minlength=len(positions)), 1))


def _sum_outer(vertex: np.ndarray, a: np.ndarray, b: np.ndarray, count: int) -> np.ndarray:
    """Per vertex, the sum of ``a_k b_kᵀ`` over the rows ``k`` that belong to it: ``(count, 3, 3)``."""
    outer = (a[:, :, None] * b[:, None, :]).reshape(-1, 9)
    return np.stack([np.bincount(vertex, outer[:, k], count) for k in range(9)], axis=1).reshape(-1, 3, 3)


def vertex_gradients(
    source: np.ndarray,
    target: np.ndarray,
    edges: np.ndarray,
    source_normals: np.ndarray,
    target_normals: np.ndarray,
) -> np.ndarray:
    """``(N, 3, 3)``: for each vertex the matrix ``G`` with ``G @ (source[j] - source[v])`` closest
    to ``target[j] - target[v]`` over its neighbours ``j`` and its normal (scaled by each shape's
    mean ring edge), so ``G @ offset`` is an offset made on ``source`` turned and scaled as the
    surface around that vertex is in ``target``. A vertex on no edge gets the identity matrix."""
    count = len(source)
    v = np.concatenate([edges[:, 0], edges[:, 1]])
    j = np.concatenate([edges[:, 1], edges[:, 0]])
    e_source, e_target = source[j] - source[v], target[j] - target[v]
    degree = np.bincount(v, minlength=count).astype(np.float64)
    lonely = degree == 0
    scale_source, scale_target = ring_lengths(source, edges), ring_lengths(target, edges)
    # The normal pair weighs as half the ring, about what the edges give each in-plane direction.
    weight = np.sqrt(degree / 2)[:, None]
    n_source = source_normals * (scale_source[:, None] * weight)
    n_target = target_normals * (scale_target[:, None] * weight)
    every = np.arange(count)
    covariance = _sum_outer(v, e_source, e_source, count) + _sum_outer(every, n_source, n_source, count)
    cross = _sum_outer(v, e_target, e_source, count) + _sum_outer(every, n_target, n_source, count)
    covariance[lonely] = cross[lonely] = np.eye(3)
    # G S = C with S symmetric  =>  S Gᵀ = Cᵀ.
    return np.asarray(np.linalg.solve(covariance, cross.transpose(0, 2, 1)).transpose(0, 2, 1))


def nearest(points: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` candidates nearest each point (brute force through one matrix product per chunk):
    ``(P, k)`` candidate rows and their distances, nearest first."""
    k = min(k, len(candidates))
    squared = (candidates * candidates).sum(1)
    rows, dists = [], []
    for start in range(0, len(points), 4096):
        chunk = points[start:start + 4096]
        d2 = squared[None, :] - 2.0 * chunk @ candidates.T + (chunk * chunk).sum(1)[:, None]
        part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < len(candidates) else np.tile(
            np.arange(len(candidates)), (len(chunk), 1))
        near = np.take_along_axis(d2, part, axis=1)
        order = np.argsort(near, axis=1)
        rows.append(np.take_along_axis(part, order, axis=1))
        dists.append(np.sqrt(np.maximum(np.take_along_axis(near, order, axis=1), 0.0)))
    if not rows:
        return np.zeros((0, k), dtype=np.int64), np.zeros((0, k))
    return np.concatenate(rows), np.concatenate(dists)


def carry_offsets(
    source: np.ndarray,
    target: np.ndarray,
    gradients: np.ndarray,
    *,
    vertices: np.ndarray,
    offsets: np.ndarray,
    anchors: np.ndarray,
    anchor_weights: np.ndarray,
) -> np.ndarray:
    """Offsets made on ``source`` for ``vertices``, carried to ``target``: each vertex goes where
    its offset takes it on ``source``, moved as ``target`` moves the surface there.

    The move of the surface at the destination ``q`` (``target - source``, defined on vertices) is
    read from the destination's ``anchors`` (``(n, k)`` vertices near ``q`` on ``source``, weights
    summing to 1 per row), each extrapolated to ``q`` through its gradient. With the vertex itself
    as its only anchor this is ``gradients[v] @ offset``: an offset turned and scaled with the
    surface around it; anchors across a hole (the other lid, the other lip) make a closure close
    onto the other side wherever ``target`` puts it."""
    landing = source[vertices] + offsets
    reach = landing[:, None, :] - source[anchors]
    moved = target[anchors] - source[anchors] + np.einsum("nkij,nkj->nki", gradients[anchors], reach) - reach
    arrival = np.einsum("nk,nki->ni", anchor_weights, moved)
    return np.asarray(landing + arrival - target[vertices])


def neighbour_sums(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per vertex, the sum of its neighbours' ``values`` (any shape after the first axis) over
    ``edges`` ((e, 2) vertex pairs): one ``bincount`` per component, no Python loop over vertices."""
    flat = values.reshape(len(values), -1)
    v = np.concatenate([edges[:, 0], edges[:, 1]])
    j = np.concatenate([edges[:, 1], edges[:, 0]])
    summed = np.stack([np.bincount(v, flat[j, k], len(values)) for k in range(flat.shape[1])], axis=1)
    return summed.reshape(values.shape)


def smooth(values: np.ndarray, edges: np.ndarray, rounds: int) -> np.ndarray:
    """Each vertex's value averaged with its neighbours' ``rounds`` times (``values`` of any shape
    after the first axis), so a gradient carries what the face does over a few rings of edges
    rather than one stretched corner: a long offset spans more than its own ring."""
    flat = values.reshape(len(values), -1)
    count = 1.0 + np.bincount(edges.ravel(), minlength=len(values))
    for _ in range(rounds):
        flat = (flat + neighbour_sums(flat, edges)) / count[:, None]
    return flat.reshape(values.shape)
