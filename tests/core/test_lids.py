# SPDX-License-Identifier: GPL-3.0-or-later
"""Closed lids over proud eyeballs (core.lids): the sphere fit, the smoothing and the push."""

from __future__ import annotations

import numpy as np

from facs_rig.core.lids import MARGIN, fit_sphere, lids_over_eyes, smoothed

FORWARD = np.array((0.0, -1.0, 0.0))


def _grid(n: int = 21, size: float = 0.04) -> tuple[np.ndarray, np.ndarray]:
    """A flat sheet of skin in the x-z plane at y = 0 (facing -y) and its grid edges."""
    steps = np.linspace(-size / 2, size / 2, n)
    x, z = np.meshgrid(steps, steps)
    rest = np.column_stack([x.ravel(), np.zeros(n * n), z.ravel()])
    index = np.arange(n * n).reshape(n, n)
    edges = np.vstack(
        [
            np.column_stack([index[:, :-1].ravel(), index[:, 1:].ravel()]),
            np.column_stack([index[:-1].ravel(), index[1:].ravel()]),
        ]
    )
    return rest, edges


def test_fit_sphere_recovers_centre_and_radius() -> None:
    rng = np.random.default_rng(3)
    directions = rng.normal(size=(200, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    centre = np.array((0.03, -0.08, 0.016))
    sphere = fit_sphere(centre + 0.013 * directions)
    assert np.allclose(sphere.centre, centre, atol=1e-9)
    assert abs(sphere.radius - 0.013) < 1e-9


def test_a_lid_sliding_behind_a_proud_eye_ends_in_front_of_it() -> None:
    """A sheet of skin through the middle of an eyeball (half of it stands out), a "blink" that
    slides the sheet down: every vertex it moves into the eye's outline ends in front of the ball,
    at least the margin outside it; vertices it does not move stay; other shapes are untouched."""
    rest, edges = _grid()
    eye = fit_sphere(
        np.array([[0, 0, 0.01], [0, 0, -0.01], [0.01, 0, 0], [-0.01, 0, 0], [0, 0.01, 0], [0, -0.01, 0]])
    )
    blink = np.zeros_like(rest)
    upper = rest[:, 2] > 0.004
    blink[upper, 2] = -0.012
    still = np.zeros_like(rest)
    out = lids_over_eyes(rest, {"blink": blink, "still": still}, [eye], FORWARD, edges)
    assert out["still"] is still
    end = rest + out["blink"]
    moved = np.linalg.norm(out["blink"], axis=1) > 0.004
    across = np.linalg.norm(end[:, [0, 2]] - eye.centre[[0, 2]], axis=1)
    over = moved & (across < 0.7 * eye.radius)
    assert over.sum() >= 10
    assert (np.linalg.norm(end[over] - eye.centre, axis=1) >= eye.radius * (1 + MARGIN) - 1e-9).all()
    assert (end[over, 1] < eye.centre[1]).all()  # in front (the face looks along -y)
    far = np.linalg.norm(rest - eye.centre, axis=1) > 3 * eye.radius
    assert np.array_equal(out["blink"][far], blink[far])


def test_smoothing_keeps_the_rows_outside_and_evens_a_step() -> None:
    rest, edges = _grid(n=11)
    delta = np.zeros_like(rest)
    delta[rest[:, 2] > 0, 2] = -1.0
    where = np.abs(rest[:, 2]) < 0.01
    out = smoothed(delta, edges, where)
    assert np.array_equal(out[~where], delta[~where])
    column = out[np.isclose(rest[:, 0], 0.0)][:, 2]  # bottom to top along one column
    assert np.all(np.diff(column) <= 1e-12)  # still monotonic from 0 to -1
    assert np.abs(np.diff(column)).max() < 1.0  # the step is spread over several rows
