# SPDX-License-Identifier: GPL-3.0-or-later
"""The thin-plate landmark fit and the landmark file, without Blender."""

from __future__ import annotations

import numpy as np
import pytest

from facs_rig.core.warp import (
    NAMED,
    LandmarkError,
    fit_landmarks,
    parse_landmarks,
    shape_agreement,
    thin_plate,
)

RNG = np.random.default_rng(7)


def _bent(points: np.ndarray) -> np.ndarray:
    """A smooth non-rigid map: scale, turn, and a bend that grows with height."""
    turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    out = points @ turn.T * 3.0
    out[:, 0] += 0.2 * points[:, 2] ** 2
    return out


def test_spline_interpolates_and_generalises() -> None:
    source = RNG.uniform(-1, 1, (120, 3))
    spline = thin_plate(source, _bent(source))
    # exact up to the rounding of distances taken as |a|² + |b|² - 2 a·b (about 1e-8 here)
    assert np.abs(spline(source) - _bent(source)).max() < 1e-7
    inside = RNG.uniform(-0.6, 0.6, (200, 3))
    error = np.linalg.norm(spline(inside) - _bent(inside), axis=1)
    assert error.max() < 0.05 * 3.0  # under 5% of the scaled size between the landmarks


def test_moves_end_where_the_warped_ends_are() -> None:
    """A shape's moves are carried as warped end minus warped start (not through the derivative at
    the start): exact under an affine map, and a move onto another landmark ends on that landmark's
    target however unevenly the spline stretches in between; points a shape leaves still stay."""
    source = RNG.uniform(-1, 1, (60, 3))
    turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    affine = thin_plate(source, source @ turn.T * 2.5 + 0.3)
    offsets = RNG.uniform(-0.2, 0.2, (2, 5, 3))
    points = source[:5]
    assert np.allclose(affine.moves(points, offsets), offsets @ turn.T * 2.5, atol=1e-9)
    target = _bent(source)
    target[1, 2] += 0.5  # one landmark pulled away from its neighbour: the spline stretches between
    spline = thin_plate(source, target)
    closing = np.zeros((1, 3, 3))
    closing[0, 0] = source[1] - source[0]  # landmark 0 moves onto landmark 1
    moved = spline.moves(source[:3], closing)
    assert np.allclose(target[0] + moved[0, 0], target[1], atol=1e-9)
    assert np.all(moved[0, 1:] == 0.0)


def test_a_corrective_is_carried_from_its_base_end() -> None:
    """A shape carried from another's end (``bases``): the two together end at the warped end of
    their sum however the spline bends, as they do on the template (``jawOpen`` and ``mouthClose``
    cancelling at the lips); carried from rest, a bent spline leaves a remainder."""
    source = RNG.uniform(-1, 1, (60, 3))
    spline = thin_plate(source, _bent(source))
    points = source[:8]
    jaw = RNG.uniform(-0.5, 0.5, (8, 3))
    close = -jaw + RNG.uniform(-0.05, 0.05, (8, 3))  # nearly undoes the jaw at these points
    both = spline(points + jaw + close) - spline(points)
    based = spline.moves(points, np.stack([jaw, close]), np.stack([np.zeros_like(jaw), jaw]))
    assert np.allclose(based.sum(0), both, atol=1e-9)
    from_rest = spline.moves(points, np.stack([jaw, close]))
    assert np.abs(from_rest.sum(0) - both).max() > 0.01  # of moves up to 0.5, scaled 3 times


def test_moves_from_warped_points_given() -> None:
    """The caller's warp of the points (the transfer's fitted template) gives the moves the spline
    gets by warping the starts itself, correctives included."""
    source = RNG.uniform(-1, 1, (60, 3))
    spline = thin_plate(source, _bent(source))
    points = RNG.uniform(-0.8, 0.8, (40, 3))
    offsets = RNG.uniform(-0.2, 0.2, (3, 40, 3))
    offsets[:, ::3] = 0.0  # points no shape moves
    bases = np.zeros_like(offsets)
    bases[2] = offsets[0]
    given = spline.moves(points, offsets, bases, warped=spline(points))
    assert np.abs(given - spline.moves(points, offsets, bases)).max() < 1e-12
    assert np.abs(given).max() > 0.1


def test_fit_drops_misses_iris_and_outliers() -> None:
    source = RNG.uniform(-1, 1, (478, 3))
    target = _bent(source)
    target[5] += 10.0  # a ray that went through the mouth
    target[7] = np.nan  # a ray that missed
    spline = fit_landmarks(source, target)
    kept = {tuple(p) for p in spline.source.round(9)}
    assert tuple(source[5].round(9)) not in kept and tuple(source[7].round(9)) not in kept
    assert not any(tuple(p) in kept for p in source[468:].round(9))
    assert np.linalg.norm(spline(source[:5]) - target[:5], axis=1).max() < 0.1


def test_degenerate_landmarks_are_refused() -> None:
    flat = np.column_stack([RNG.uniform(size=(20, 2)), np.zeros(20)])
    with pytest.raises(LandmarkError, match="one plane"):
        thin_plate(flat, flat)
    with pytest.raises(LandmarkError, match="at least 8"):
        thin_plate(flat[:4], flat[:4])


def test_landmark_file() -> None:
    marks = parse_landmarks({**{name: i for i, name in enumerate(list(NAMED)[:7])}, "200": [0.1, 0.2, 0.3]})
    assert marks.indices.tolist() == [*list(NAMED.values())[:7], 200]
    rest = np.arange(30, dtype=float).reshape(10, 3)
    assert np.allclose(marks.positions(rest)[:7], rest[:7])
    assert np.allclose(marks.positions(rest)[7], (0.1, 0.2, 0.3))
    with pytest.raises(LandmarkError, match="landmark vertex 12 is not in"):
        parse_landmarks({str(i): i + 5 for i in range(8)}).positions(rest)


def test_landmark_file_errors_have_paths() -> None:
    with pytest.raises(LandmarkError) as caught:
        parse_landmarks({"nose_tip": True, "chin": [1, None, 2], "nose": 3, "478": 1, "forehead": 4, "10": 2})
    message = str(caught.value)
    assert "$.nose_tip: must be a vertex index" in message
    assert "$.chin[1]" in message
    assert "$.nose: unknown landmark" in message and "$.478: unknown landmark" in message
    assert "$.10: landmark 10 is given twice" in message
    with pytest.raises(LandmarkError, match="at least 8"):
        parse_landmarks({"chin": 1})
    with pytest.raises(LandmarkError, match="must be an object"):
        parse_landmarks([1, 2])


def test_shape_agreement() -> None:
    true = RNG.normal(size=(50, 3))
    assert shape_agreement(true, true, 1.0) == (1.0, 0.0)
    r, error = shape_agreement(-true, true, 2.0)
    assert r == pytest.approx(-1.0) and error == pytest.approx(np.linalg.norm(true, axis=1).max())
