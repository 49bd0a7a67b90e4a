# SPDX-License-Identifier: GPL-3.0-or-later
"""A head's own eyeballs, for ``rig`` (docs/rig_any_head.md, "Eyes of their own"): separate eye
meshes found around the warped eye joints and taken as spheres, and the reader's eye landmarks
moved onto them.

The reader places a human eye opening on whatever it sees; on a stylised head with large round
eyeballs it puts a narrow human eye off the ball (above it, or half outside), and the template's
lids, fitted there, close a human-sized slit. The eyeball meshes say where the eyes are and how
much of them shows: each eye's contour becomes the template's, stretched over the part of the ball
seen from the front, so the fitted lids span the opening and a blink closes all of it (the
shapes, carried as warped ends, stretch the lid motion with the opening)."""

from __future__ import annotations

from collections.abc import Sequence

import bpy
import numpy as np

from ..core.lids import Sphere, fit_sphere
from .rig_any_landmarks import FaceFound, RayCaster, ray_caster, world_points
from .rig_any_pivots import eye_meshes
from .rig_any_template import Template

EYE_LANDMARKS = {
    "eye.R": (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246, *range(468, 473)),
    "eye.L": (
        263,
        249,
        390,
        373,
        374,
        380,
        381,
        382,
        362,
        398,
        384,
        385,
        386,
        387,
        388,
        466,
        *range(473, 478),
    ),
}
"""MediaPipe's contour and iris points of each eye (``L`` the subject's left)."""
OPENING_GRID = 25
"""Rays across an eyeball's outline (per side) that measure how much of it is seen."""


def eyeballs(joints: dict[str, np.ndarray], others: Sequence[bpy.types.Object]) -> dict[str, Sphere]:
    """The separate eye meshes around the (world) eye ``joints`` as spheres, in world space."""
    found = {}
    for side, ob in eye_meshes(joints, others).items():
        points = world_points(ob)
        if len(points) >= 4:
            found[side] = fit_sphere(points)
    return found


def on_eyeballs(
    found: FaceFound, eyes: dict[str, Sphere], tmpl: Template, surfaces: Sequence[bpy.types.Object]
) -> FaceFound:
    """``found`` with each eye's contour replaced by the template's, laid across the part of the
    head's eyeball that is seen from the front (:func:`_opening`: the whole ball for a proud eye,
    the lids' opening for an eye set in its lids) and cast onto ``surfaces`` along the face's
    forward axis. Eyes without a sphere keep their landmarks."""
    forward = found.forward / np.linalg.norm(found.forward)
    left = np.cross(found.up, forward)
    left /= np.linalg.norm(left)
    up = np.cross(forward, left)
    points = found.points.copy()
    cast_rays = ray_caster(surfaces)  # the surfaces' BVHs, built once for every cast below
    for side, eye in eyes.items():
        rows = np.array(EYE_LANDMARKS[side])
        opening = _opening(eye, forward, left, up, cast_rays)
        if opening is None:
            continue
        centre, half_width, half_height = opening
        ring = tmpl.landmarks[rows] - tmpl.joints[side]  # the default head: X left, Z up
        u, v = ring[:, 0], ring[:, 2]
        u = (u - (u.max() + u.min()) / 2) * half_width / (np.ptp(u) / 2)
        v = (v - (v.max() + v.min()) / 2) * half_height / (np.ptp(v) / 2)
        origins = centre + u[:, None] * left + v[:, None] * up + forward * (4 * eye.radius)
        points[rows] = cast_rays(origins, -forward)
        _follow(points, found.points, rows, forward, cast_rays, depth=4 * eye.radius)
    return FaceFound(points, found.forward, found.up, found.view)


def _follow(
    points: np.ndarray,
    read: np.ndarray,
    rows: np.ndarray,
    forward: np.ndarray,
    cast_rays: RayCaster,
    *,
    depth: float,
) -> None:
    """Move the landmarks around a replaced eye contour (``rows``: ``read`` before, ``points``
    after) with it, fully within the contour's reach and fading out at twice that: the lid crease
    and brow points the reader placed with its eye stay where they were relative to the eye, so
    the lids between them are not squeezed or stretched. In place; moved points are cast again."""
    before, after = np.nanmean(read[rows], axis=0), np.nanmean(points[rows], axis=0)
    shift = after - before
    shift -= (shift @ forward) * forward
    reach = float(np.nanmax(np.linalg.norm(points[rows] - after, axis=1)))
    others = np.setdiff1d(np.flatnonzero(~np.isnan(read).any(1)), rows)
    distance = np.linalg.norm(read[others] - before, axis=1)
    weight = np.clip(2 - distance / reach, 0.0, 1.0)
    moving = others[weight > 0]
    origins = read[moving] + weight[weight > 0, None] * shift + forward * depth
    points[moving] = cast_rays(origins, -forward)


def _opening(
    eye: Sphere,
    forward: np.ndarray,
    left: np.ndarray,
    up: np.ndarray,
    cast_rays: RayCaster,
) -> tuple[np.ndarray, float, float] | None:
    """Where the eyeball is seen from the front: rays along -``forward`` through a grid over its
    outline, those whose first hit is on the ball; returns the seen part's centre (world, in the
    eye's middle plane) and its half width and height (None when no ray sees the ball)."""
    steps = np.linspace(-1.0, 1.0, OPENING_GRID) * eye.radius
    a, b = (grid.ravel() for grid in np.meshgrid(steps, steps))
    inside = a**2 + b**2 < eye.radius**2
    a, b = a[inside], b[inside]
    across = eye.centre + a[:, None] * left + b[:, None] * up
    hits = cast_rays(across + forward * (4 * eye.radius), -forward)
    seen = np.linalg.norm(hits - eye.centre, axis=1) <= eye.radius * 1.02
    if not seen.any():
        return None
    a, b = a[seen], b[seen]
    middle = eye.centre + (a.max() + a.min()) / 2 * left + (b.max() + b.min()) / 2 * up
    return middle, float(np.ptp(a)) / 2, float(np.ptp(b)) / 2
