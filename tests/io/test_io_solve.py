# SPDX-License-Identifier: GPL-3.0-or-later
"""Bounded least squares (blendshapes → AUs): exact recovery, optimality, bounds, gaps."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from facs_rig.core.errors import FacsError
from facs_rig.core.mapping import linear_shape_matrix, load_preset
from facs_rig.core.solve import determined, solve_bounded
from facs_rig.io.blendshapes import solve_shapes


def kkt_violation(W: np.ndarray, B: np.ndarray, X: np.ndarray, ridge: float = 1e-6) -> float:
    """Largest breach of the optimality conditions of the ridge-regularised box problem."""
    gram = W.T @ W
    H = gram + ridge * np.mean(np.diag(gram)) * np.eye(W.shape[1])
    grad = X @ H - B @ W
    free = (X > 1e-9) & (X < 1 - 1e-9)
    breach = np.where(free, np.abs(grad), 0.0)
    breach = np.maximum(breach, np.where(X <= 1e-9, -grad, 0.0))  # at 0 the gradient must be >= 0
    breach = np.maximum(breach, np.where(X >= 1 - 1e-9, grad, 0.0))  # at 1 it must be <= 0
    return float(breach.max())


def test_recovers_aus_the_arkit_mapping_can_express() -> None:
    controls, _, W = linear_shape_matrix(load_preset("arkit52"))
    rng = np.random.default_rng(7)
    X = rng.random((400, len(controls))) * (rng.random((400, len(controls))) < 0.5)
    solution = solve_bounded(W, X @ W.T)
    pinned = determined(W)
    assert pinned.sum() >= 25
    assert np.abs(solution.x - X)[:, pinned].max() < 0.02
    assert solution.residual.max() < 1e-3  # the rest is explained too, just split differently
    assert solution.x.min() >= 0 and solution.x.max() <= 1


def test_noisy_weights_give_an_optimal_bounded_answer() -> None:
    _, _, W = linear_shape_matrix(load_preset("arkit52"))
    rng = np.random.default_rng(3)
    B = np.clip(rng.random((300, W.shape[0])) * 1.2 - 0.1, 0, None)
    solution = solve_bounded(W, B)
    assert solution.x.min() >= 0 and solution.x.max() <= 1
    assert kkt_violation(W, B, solution.x) < 1e-6


def test_matches_brute_force_on_a_small_coupled_problem() -> None:
    rng = np.random.default_rng(11)
    W = rng.random((5, 4))
    B = rng.random((30, 5)) * 2
    solution = solve_bounded(W, B, ridge=0.0)
    for b, x in zip(B, solution.x, strict=True):
        best = np.inf
        for pattern in itertools.product((0, 1, 2), repeat=4):  # free, at 0, at 1
            fixed = np.array([0.0 if p == 1 else 1.0 for p in pattern])
            free = np.array([p == 0 for p in pattern])
            y = np.where(free, 0.0, fixed)
            if free.any():
                rhs = b - W[:, ~free] @ y[~free]
                y[free] = np.linalg.lstsq(W[:, free], rhs, rcond=None)[0]
            if np.all(y >= -1e-12) and np.all(y <= 1 + 1e-12):
                best = min(best, float(np.sum((W @ y - b) ** 2)))
        assert np.sum((W @ x - b) ** 2) == pytest.approx(best, rel=1e-6, abs=1e-9)


def test_ill_conditioned_problems_still_converge() -> None:
    rng = np.random.default_rng(5)
    W = rng.random((6, 12))  # more unknowns than equations: one big coupled block
    B = rng.random((200, 6)) * 3
    solution = solve_bounded(W, B)
    assert kkt_violation(W, B, solution.x) < 1e-5


def test_gap_rows_stay_nan_and_bad_shapes_are_refused() -> None:
    W = np.eye(3)
    B = np.array([[0.2, 0.5, 2.0], [np.nan, 0.1, 0.1], [-1.0, 0.3, 0.4]])
    solution = solve_bounded(W, B)
    assert solution.x[0] == pytest.approx([0.2, 0.5, 1.0], abs=1e-5)
    assert np.isnan(solution.x[1]).all() and np.isnan(solution.residual[1])
    assert solution.x[2] == pytest.approx([0.0, 0.3, 0.4], abs=1e-5)
    with pytest.raises(FacsError):
        solve_bounded(W, np.zeros((2, 4)))


def test_penalty_prefers_one_of_two_identical_controls() -> None:
    W = np.array([[1.0, 1.0]])
    plain = solve_bounded(W, np.array([[0.8]]))
    assert plain.x[0] == pytest.approx([0.4, 0.4], abs=1e-4)
    preferring = solve_bounded(W, np.array([[0.8]]), penalty=np.array([1.0, 1e4]))
    assert preferring.x[0, 0] == pytest.approx(0.8, abs=1e-3)


def test_determined_finds_indistinguishable_controls() -> None:
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    assert determined(W).tolist() == [True, False, False]


def test_gaze_is_unscored_only_while_both_eyes_are_shut() -> None:
    """Open eyes looking down, both eyes shut, one eye shut (a wink): only the second is a gap."""
    _, shapes, _ = linear_shape_matrix(load_preset("arkit52"))
    weights = np.zeros((3, len(shapes)))
    look = {"eyeLookDownLeft": 0.8, "eyeLookDownRight": 0.8}
    for row, blink in enumerate(({}, {"eyeBlinkLeft": 0.9, "eyeBlinkRight": 0.9}, {"eyeBlinkLeft": 0.9})):
        for name, value in (look | blink).items():
            weights[row, shapes.index(name)] = value
    tracks = solve_shapes(shapes, weights).tracks
    assert np.isnan(tracks[(64, "both")][1])
    assert tracks[(64, "both")][[0, 2]] == pytest.approx([0.8, 0.8], abs=0.05)
    assert tracks[(43, "L")][1] == pytest.approx(0.9, abs=0.05)
    assert np.isfinite(tracks[(61, "both")][[0, 2]]).all() and np.isnan(tracks[(61, "both")][1])
