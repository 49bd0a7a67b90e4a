# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-vertex deformation gradients and carried offsets on small meshes whose answers are known:
a turned and scaled grid, a stretched plane, and a lid closing across a gap that opens wider."""

from __future__ import annotations

import numpy as np
import pytest

from facs_rig.core.deformation import (
    carry_offsets,
    nearest,
    polygon_edges,
    smooth,
    vertex_gradients,
    vertex_normals,
)


def grid(nx: int, ny: int, z: float = 0.0) -> tuple[np.ndarray, ...]:
    """A quad grid in the XY plane at height ``z`` (``face_starts``, ``loop_vertices``), with one
    triangle fan corner to have mixed faces."""
    xs, ys = np.meshgrid(np.linspace(0, 1, nx), np.linspace(0, 1, ny), indexing="ij")
    points = np.stack([xs.ravel(), ys.ravel(), np.full(xs.size, z)], axis=1)
    quads = [(i * ny + j, (i + 1) * ny + j, (i + 1) * ny + j + 1, i * ny + j + 1)
             for i in range(nx - 1) for j in range(ny - 1)]
    loops = np.array([v for quad in quads for v in quad])
    return points, np.arange(0, len(loops), 4), loops


def turn(points: np.ndarray, degrees: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    a = np.radians(degrees)
    rotation = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]) @ np.array(
        [[1, 0, 0], [0, np.cos(a / 2), -np.sin(a / 2)], [0, np.sin(a / 2), np.cos(a / 2)]])
    matrix = scale * rotation
    return points @ matrix.T + [0.3, -0.2, 0.5], matrix


def gradients_of(source: np.ndarray, target: np.ndarray, starts: np.ndarray, loops: np.ndarray) -> np.ndarray:
    edges = polygon_edges(starts, loops)
    return vertex_gradients(source, target, edges, vertex_normals(source, starts, loops),
                            vertex_normals(target, starts, loops))


def test_edges_are_listed_once_and_close_each_face() -> None:
    edges = polygon_edges(np.array([0, 4]), np.array([0, 1, 2, 3, 2, 1, 4]))  # a quad and a triangle
    assert edges.tolist() == [[0, 1], [0, 3], [1, 2], [1, 4], [2, 3], [2, 4]]


def test_normals_of_a_flat_grid_point_up_and_follow_a_turn() -> None:
    points, starts, loops = grid(4, 5)
    assert np.allclose(vertex_normals(points, starts, loops), [0, 0, 1])
    moved, matrix = turn(points, 30, 2.0)
    assert np.allclose(vertex_normals(moved, starts, loops), matrix @ [0, 0, 1] / 2.0)


def test_a_turned_and_scaled_mesh_has_that_gradient_everywhere() -> None:
    points, starts, loops = grid(5, 6)
    moved, matrix = turn(points, 40, 0.8)
    found = gradients_of(points, moved, starts, loops)
    assert np.allclose(found, matrix, atol=1e-9)
    offset = np.array([0.01, -0.02, 0.005])
    assert np.allclose(found[7] @ offset, matrix @ offset)


def test_a_stretch_in_the_plane_scales_offsets_along_it() -> None:
    points, starts, loops = grid(6, 6)
    stretched = points * [1.5, 1.0, 1.0]
    found = gradients_of(points, stretched, starts, loops)
    assert np.allclose(found[:, :2, :2], [[1.5, 0], [0, 1.0]], atol=1e-9)
    assert np.allclose(found[:, :2, 2], 0) and np.allclose(found[:, 2, :2], 0)


def test_lonely_vertices_keep_their_offsets() -> None:
    points, starts, loops = grid(3, 3)
    points = np.vstack([points, [[5.0, 5.0, 5.0]]])  # on no face
    found = gradients_of(points, points * 2, starts, loops)
    assert np.allclose(found[-1], np.eye(3)) and np.allclose(found[0], 2 * np.eye(3))


def test_smoothing_keeps_a_constant_field_and_evens_out_a_spike() -> None:
    points, starts, loops = grid(5, 5)
    edges = polygon_edges(starts, loops)
    field = np.tile(np.eye(3), (len(points), 1, 1))
    assert np.allclose(smooth(field, edges, 4), field)
    spiked = field.copy()
    spiked[12] *= 3.0
    assert smooth(spiked, edges, 4)[12, 0, 0] < 2.0


def test_nearest_matches_sorting_every_distance() -> None:
    rng = np.random.default_rng(4)
    points, candidates = rng.normal(size=(50, 3)), rng.normal(size=(200, 3))
    rows, dist = nearest(points, candidates, 3)
    full = np.linalg.norm(points[:, None] - candidates[None], axis=2)
    assert np.array_equal(rows, np.argsort(full, axis=1)[:, :3])
    assert np.allclose(dist, np.sort(full, axis=1)[:, :3])


def test_with_itself_as_anchor_an_offset_is_carried_by_its_gradient() -> None:
    points, starts, loops = grid(5, 5)
    moved, matrix = turn(points, 25, 1.3)
    found = gradients_of(points, moved, starts, loops)
    vertices = np.array([3, 8, 12])
    offsets = np.array([[0.01, 0.0, 0.0], [0.0, 0.02, 0.01], [0.0, 0.0, -0.03]])
    carried = carry_offsets(points, moved, found, vertices=vertices, offsets=offsets,
                            anchors=vertices[:, None], anchor_weights=np.ones((3, 1)))
    assert np.allclose(carried, offsets @ matrix.T)


def test_a_closure_lands_on_the_other_side_where_the_target_puts_it() -> None:
    """Two strips facing across a gap (an upper and a lower lid). On the source the upper strip's
    offsets close it onto the lower one; the target opens the gap wider by moving the lower strip
    down. Anchored on the lower strip, the carried closure still lands on it; the raw offsets and
    the gradient alone (the upper strip did not change) stop short."""
    upper, starts, loops = grid(4, 3, z=0.0)
    lower = upper + np.array([0.0, 0.0, -0.01])
    source = np.vstack([upper, lower])
    all_starts = np.concatenate([starts, starts + len(loops)])
    all_loops = np.concatenate([loops, loops + len(upper)])
    target = source.copy()
    target[len(upper):, 2] -= 0.004  # the identity's opening is 4 mm taller
    found = gradients_of(source, target, all_starts, all_loops)
    vertices = np.arange(len(upper))
    offsets = lower - upper  # closing: each upper vertex onto the one below it
    carried = carry_offsets(source, target, found, vertices=vertices, offsets=offsets,
                            anchors=(vertices + len(upper))[:, None], anchor_weights=np.ones((len(upper), 1)))
    assert np.allclose(target[vertices] + carried, target[len(upper):])
    raw_gap = (target[vertices] + offsets)[:, 2] - target[len(upper):, 2]
    assert raw_gap == pytest.approx(np.full(len(upper), 0.004))
