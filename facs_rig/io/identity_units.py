# SPDX-License-Identifier: GPL-3.0-or-later
"""The expression units and ARKit units on an identity's neutral: each unit's offsets carried from
the default head to the identity (``core/deformation.py``), so they do on fuller lips, a smaller
face or another eye shape what they do on the default head: an eye closure closes the lids where
this identity's lids meet, a lip suck rolls this identity's lips in.

Raw offsets would not: an identity with a lower lid opening (an old man's) crosses its lids by a
millimetre on closing, one with a taller opening leaves a gap. Each offset is carried by how far it
moves:

- a short move (up to ``LOCAL``): by its vertex's deformation gradient (smoothed over a few rings
  of edges), turned and scaled with the surface around it;
- a longer one: scaled with the face as a whole (the median of the gradients' volume scales), in
  one piece: neighbouring gradients differ by a few percent, which would tear a 3 cm jaw drop at
  the mouth corners;
- a lid closure (around the eyes, further than the vertex's ring of edges, up to ``CLOSURE``): the
  vertex goes where its offset takes it on the default head, moved as the identity moves the
  surface *there* (read from the default-head vertices of its material nearest that destination,
  found once per process), so an upper lid lands on this identity's lower lid.

The ways fade into each other. Pure numpy; the default identity keeps the asset's offsets untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from ..core.deformation import (
    carry_offsets,
    nearest,
    polygon_edges,
    ring_lengths,
    smooth,
    vertex_gradients,
    vertex_normals,
)
from .avatar_asset import AvatarAsset
from .identity import Identity

ANCHORS = 3
"""Default-head vertices whose moves are blended at a closure's destination."""
SMOOTHING = 8
"""Rounds of neighbour averaging of the gradients: a unit's offsets span several rings of edges."""
LIDS = 0.025
"""Metres around each eye's centre where closures are read: the lids. The lips touch at rest, so
neighbouring lip vertices would read the two different lips and part; they keep the gradient."""
CLOSURE = (0.010, 0.015)
"""Metres: a lid move up to the first is a closure, whose destination is read; longer ones fade to
the face's scale by the second (a sweep crosses other parts of the face on its way)."""
LOCAL = (0.003, 0.006)
"""Metres: moves up to the first take their vertex's gradient, longer ones fade to the face's scale
by the second."""
REACH = 0.004
"""Metres around a key's destinations searched for anchors (the search is per key and material)."""


@cache
def _edges(asset: AvatarAsset) -> np.ndarray:
    return polygon_edges(asset.face_starts, asset.loop_vertices)


@cache
def _normals(asset: AvatarAsset) -> np.ndarray:
    return vertex_normals(asset.positions.astype(np.float64), asset.face_starts, asset.loop_vertices)


@cache
def _vertex_materials(asset: AvatarAsset) -> np.ndarray:
    """One material per vertex (a vertex on two materials' border takes the last face's)."""
    ends = np.append(asset.face_starts[1:], len(asset.loop_vertices))
    out = np.zeros(asset.vertex_count, dtype=np.int64)
    out[asset.loop_vertices] = np.repeat(asset.face_materials, ends - asset.face_starts)
    return out


@cache
def _ring(asset: AvatarAsset) -> np.ndarray:
    """Mean length of each vertex's edges on the default head."""
    return ring_lengths(asset.positions, _edges(asset))


@cache
def _anchors(asset: AvatarAsset, rows: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """For the keys ``rows`` (their offsets concatenated): the lid entries that move further than
    their vertex's ring but less than a long sweep; for each, the ``ANCHORS`` default-head vertices
    of its material nearest its destination with inverse-square-distance weights, and how much of
    its destination is read (1, fading to 0 over ``CLOSURE``). The same for every identity, so found
    once per asset and key set."""
    base, materials, ring = asset.positions.astype(np.float64), _vertex_materials(asset), _ring(asset)
    found: list[tuple[np.ndarray, ...]] = []
    eyes = np.stack([asset.joint("eye.L"), asset.joint("eye.R")])
    lids = (np.linalg.norm(base[:, None, :] - eyes[None], axis=2) < LIDS).any(1)
    offset = 0
    for row in rows:
        idx, delta = asset.key_delta(row)
        length = np.linalg.norm(delta, axis=1)
        far = np.flatnonzero((length > ring[idx]) & (length < CLOSURE[1]) & lids[idx])
        for material in np.unique(materials[idx[far]]):
            entries = far[materials[idx[far]] == material]
            landing = base[idx[entries]] + delta[entries]
            low, high = landing.min(0) - REACH, landing.max(0) + REACH
            pool = np.flatnonzero((materials == material) & ((base >= low) & (base <= high)).all(1))
            if len(pool) < ANCHORS:  # nothing of its own to land on: the gradient carry alone
                continue
            picked, dist = nearest(landing, base[pool], ANCHORS)
            closeness = 1.0 / np.maximum(dist, 1e-5) ** 2
            weights = closeness / closeness.sum(1, keepdims=True)
            short = np.clip((CLOSURE[1] - length[entries]) / (CLOSURE[1] - CLOSURE[0]), 0.0, 1.0)
            found.append((offset + entries, pool[picked], weights, short))
        offset += len(idx)
    if not found:
        none = np.zeros((0, ANCHORS))
        return np.zeros(0, dtype=np.int64), none.astype(np.int64), none, np.zeros(0)
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))


def _move_gradients(gradients: np.ndarray, idx: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Each entry's matrix: its vertex's gradient for a short move, fading over ``LOCAL`` to the
    face's scale (the median of the gradients' volume scales, as a length)."""
    face = float(np.median(np.cbrt(np.linalg.det(gradients)))) * np.eye(3)
    local = np.clip((LOCAL[1] - np.linalg.norm(delta, axis=1)) / (LOCAL[1] - LOCAL[0]), 0.0, 1.0)
    return np.asarray(face + local[:, None, None] * (gradients[idx] - face))


def unit_offsets(
    asset: AvatarAsset, identity: Identity, neutral: np.ndarray, rows: Sequence[int]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(vertices, offsets)`` of each key in ``rows`` on ``identity``'s ``neutral`` (from
    :func:`~facs_rig.io.identity.shape`): the asset's own arrays for the default identity."""
    if identity.is_default:
        return [asset.key_delta(row) for row in rows]
    spans = [asset.key_delta(row) for row in rows]
    idx = np.concatenate([span[0] for span in spans])
    delta = np.concatenate([span[1] for span in spans]).astype(np.float64)
    base, target = asset.positions.astype(np.float64), neutral.astype(np.float64)
    edges = _edges(asset)
    gradients = smooth(vertex_gradients(base, target, edges, _normals(asset),
                                        vertex_normals(target, asset.face_starts, asset.loop_vertices)),
                       edges, SMOOTHING)
    lengths = [len(span[0]) for span in spans]
    carried = np.einsum("nij,nj->ni", _move_gradients(gradients, idx, delta), delta)
    entries, anchors, weights, short = _anchors(asset, tuple(rows))
    landed = carry_offsets(base, target, gradients, vertices=idx[entries], offsets=delta[entries],
                           anchors=anchors, anchor_weights=weights)
    carried[entries] += short[:, None] * (landed - carried[entries])
    bounds = np.cumsum([0, *lengths])
    out = carried.astype(np.float32)
    return [(span[0], out[lo:hi]) for span, lo, hi in zip(spans, bounds[:-1], bounds[1:], strict=True)]
