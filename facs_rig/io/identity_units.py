# SPDX-License-Identifier: GPL-3.0-or-later
"""The expression units and ARKit units on an identity's neutral: each unit's offsets carried from
the default head to the identity (``core/deformation.py``), so they do on fuller lips, a smaller
face or another eye shape what they do on the default head: an eye closure closes the lids where
this identity's lids meet, a lip suck rolls this identity's lips in.

Raw offsets would not: an identity with a lower lid opening (an old man's) crosses its lids by a
millimetre on closing, one with a taller opening leaves a gap. Each offset is carried by the
identity's per-vertex deformation gradients (smoothed over a few rings of edges), by how far it
moves:

- up to a centimetre: turned and scaled with the surface around its vertex;
- a lid closure (around the eyes, further than the vertex's ring of edges, up to ``CLOSURE``): the
  vertex goes where its offset takes it on the default head, moved as the identity moves the
  surface *there* (read from the default-head vertices of its material nearest that destination,
  found once per process), so an upper lid lands on this identity's lower lid;
- a long sweep (past ``CLOSURE``, the jaw): by its unit's mean gradient, as one piece.

The ways fade into each other. Pure numpy; the default identity keeps the asset's offsets untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from ..core.deformation import carry_offsets, nearest, polygon_edges, smooth, vertex_gradients, vertex_normals
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
"""Metres: a lid move up to the first is a closure, whose destination is read; longer moves fade to
the gradient carry by the second, and so does each unit's long sweep (the jaw dropping the lower
lip past the chin), which crosses other parts of the face on its way."""
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
    edges, base = _edges(asset), asset.positions
    v = np.concatenate([edges[:, 0], edges[:, 1]])
    lengths = np.linalg.norm(base[edges[:, 0]] - base[edges[:, 1]], axis=1)
    total = np.bincount(v, np.concatenate([lengths, lengths]), asset.vertex_count)
    return np.asarray(total / np.maximum(np.bincount(v, minlength=asset.vertex_count), 1))


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


def _sweep_gradients(
    gradients: np.ndarray, idx: np.ndarray, delta: np.ndarray, lengths: list[int]
) -> np.ndarray:
    """Each entry's gradient: its vertex's for a short move, fading over ``CLOSURE`` to its key's
    (the mean over the key's vertices, weighted by how far each moves) for a long sweep, so a
    dropped jaw is scaled and turned as one piece instead of wrinkling where neighbours' gradients
    differ by a few percent of three centimetres."""
    key = np.repeat(np.arange(len(lengths)), lengths)
    reach = np.linalg.norm(delta, axis=1)
    flat = gradients[idx].reshape(-1, 9)
    summed = np.stack([np.bincount(key, flat[:, k] * reach, len(lengths)) for k in range(9)], axis=1)
    mean = summed / np.maximum(np.bincount(key, reach, len(lengths)), 1e-12)[:, None]
    local = np.clip((CLOSURE[1] - reach) / (CLOSURE[1] - CLOSURE[0]), 0.0, 1.0)[:, None]
    return np.asarray((mean[key] + local * (flat - mean[key])).reshape(-1, 3, 3))


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
    carried = np.einsum("nij,nj->ni", _sweep_gradients(gradients, idx, delta, lengths), delta)
    entries, anchors, weights, short = _anchors(asset, tuple(rows))
    landed = carry_offsets(base, target, gradients, vertices=idx[entries], offsets=delta[entries],
                           anchors=anchors, anchor_weights=weights)
    carried[entries] += short[:, None] * (landed - carried[entries])
    bounds = np.cumsum([0, *lengths])
    out = carried.astype(np.float32)
    return [(span[0], out[lo:hi]) for span, lo, hi in zip(spans, bounds[:-1], bounds[1:], strict=True)]
