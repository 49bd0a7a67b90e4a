# SPDX-License-Identifier: GPL-3.0-or-later
"""Closed lids over proud eyeballs, for ``rig`` (docs/rig_any_head.md, "Eyes that stand out").

A head with separate eyeball meshes often has them standing out of the skin: the template's lids,
fitted to the socket skin around and behind each eyeball, close there and the eyeball shows through
the closed lid. Each eyeball is taken as a sphere (fitted to its vertices), and every shape that
carries a vertex behind its front is bent so the vertex ends on the front of the sphere, a small
margin outside: a closed lid then lies over the eye. Pure numpy: eye by eye and shape by shape
(only the shapes that move skin near the eye), all of a shape's vertices at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .deformation import neighbour_sums

MARGIN = 0.06
"""How far outside the eyeball a pushed lid vertex ends, as a fraction of the eyeball's radius: a
lid is not paper-thin, and a vertex exactly on the sphere would flicker through it."""
MOVED = 0.2
"""A vertex is pushed fully when the shape moves it by at least this fraction of the eyeball's
radius, not at all below half of it: skin the shape leaves (nearly) where it was, behind the eye,
stays there."""
SMOOTHING_ROUNDS = 8
"""Rounds of neighbour averaging of a lid shape around a proud eye (see :func:`smoothed`)."""
EDGE = 0.25
"""Towards the eye's outline the push fades out over this fraction of its radius, so the pushed lid
meets the skin around the eye without a step."""


@dataclass(frozen=True)
class Sphere:
    centre: np.ndarray  # (3,)
    radius: float


def fit_sphere(points: np.ndarray) -> Sphere:
    """The least-squares sphere through ``points`` ((n, 3), n >= 4, not all on a plane): the
    algebraic fit |p|² = 2 c·p + (r² - |c|²), linear in c and the constant."""
    points = np.asarray(points, dtype=np.float64)
    system = np.hstack([2 * points, np.ones((len(points), 1))])
    solution = np.linalg.lstsq(system, (points**2).sum(1), rcond=None)[0]
    centre = solution[:3]
    return Sphere(centre, float(np.sqrt(max(solution[3] + centre @ centre, 0.0))))


def lids_over_eyes(
    rest: np.ndarray,
    shapes: Mapping[str, np.ndarray],
    eyes: list[Sphere],
    forward: np.ndarray,
    edges: np.ndarray,
) -> dict[str, np.ndarray]:
    """``shapes`` (name -> (n, 3) displacements of the ``rest`` vertices) with every vertex a shape
    moves by at least :data:`MOVED` of an eye's radius to behind that eye's front (inside its
    outline as seen along ``forward``, the way the face looks) pushed forward onto the sphere,
    :data:`MARGIN` outside it (part of the way for smaller moves and near the outline, so the lid
    meets the skin around it smoothly, but never to inside the ball's front half). A lid fitted to
    the socket skin behind a proud eyeball then closes in front of it. Around each eye the
    displacements are first smoothed over the mesh's ``edges`` ((e, 2) vertex pairs,
    :func:`smoothed`): a lid edge bound across a coarse socket would otherwise close in teeth.
    Other vertices and shapes are returned unchanged (the same arrays)."""
    forward = np.asarray(forward, np.float64) / np.linalg.norm(forward)
    out = dict(shapes)
    for eye in eyes:
        distance = np.linalg.norm(rest - eye.centre, axis=1)
        near = np.flatnonzero(distance < 3 * eye.radius)
        if not len(near):
            continue
        around = distance < 2 * eye.radius
        reach = eye.radius * (1 + MARGIN)
        for name, delta in out.items():
            if np.abs(delta[near]).max() < 0.5 * MOVED * eye.radius:
                continue
            fixed = smoothed(delta, edges, around)
            moved = fixed[near]
            end = rest[near] + moved - eye.centre
            ahead = end @ forward
            across = end - ahead[:, None] * forward
            front = np.sqrt(np.maximum(reach**2 - (across**2).sum(1), 0.0))
            weight = (
                np.clip((np.linalg.norm(moved, axis=1) / eye.radius - MOVED / 2) / (MOVED / 2), 0.0, 1.0)
                * np.clip((1 - np.linalg.norm(across, axis=1) / reach) / EDGE, 0.0, 1.0)
                * (ahead < front)
            )
            pushed = ahead + weight * (front - ahead)
            # part of the way would leave a vertex in the ball's front half, poking through the
            # eye: it goes all the way; behind the middle it is hidden by the ball anyway
            pushed = np.where((weight > 0) & (pushed > 0), np.maximum(pushed, front), pushed)
            fixed[near] += (pushed - ahead)[:, None] * forward
            out[name] = fixed
    return out


def smoothed(delta: np.ndarray, edges: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``delta`` ((n, 3)) with the rows ``where`` is True replaced :data:`SMOOTHING_ROUNDS` times by
    halfway to the mean of their neighbours' (``edges``, (e, 2) vertex pairs): all of them at once
    per round. Rows elsewhere are kept, so the smoothed patch meets the rest of the face. Only the
    edges touching those rows are read, renumbered to the rows they join: each round costs the
    patch around an eye, not the whole head (this runs once per lid shape and eye)."""
    touching = edges[where[edges].any(1)]
    rows, pairs = np.unique(touching, return_inverse=True)
    pairs = pairs.reshape(-1, 2)
    count = np.bincount(pairs.ravel(), minlength=len(rows))
    inside = where[rows] & (count > 0)
    patch = delta[rows]
    for _ in range(SMOOTHING_ROUNDS):
        total = neighbour_sums(patch, pairs)
        patch[inside] = 0.5 * patch[inside] + 0.5 * total[inside] / count[inside, None]
    out = delta.copy()
    out[rows] = patch
    return out
