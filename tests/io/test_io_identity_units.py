# SPDX-License-Identifier: GPL-3.0-or-later
"""The units carried onto identities, without Blender: the default head keeps the asset's offsets,
an eye closure closes each identity's lids as it closes the default head's, and the carried
offsets stay the same size as the raw ones give or take the face's own scale."""

from __future__ import annotations

import numpy as np
import pytest

from facs_rig.core.deformation import polygon_edges
from facs_rig.io import avatar_asset
from facs_rig.io.identity import DEFAULT, details_of, parse_identity, shape
from facs_rig.io.identity_units import unit_offsets

ASSET = avatar_asset.load(avatar_asset.DEFAULT_PATH)
DETAILS = details_of(ASSET)
ROWS = ASSET.key_rows(avatar_asset.ARKIT_SET) + ASSET.key_rows(ASSET.variants[0])
OLD_MAN = "gender=1,age=70,african=1"  # lower lid opening than the default head's
YOUNG_MAN = "gender=1,age=20,asian=1"  # taller


def lid_margins() -> tuple[np.ndarray, np.ndarray]:
    """The left eye's opening: skin edges used by one face only, near the eye's centre, split into
    the upper and the lower lid margin by the line through its corners."""
    starts = np.append(ASSET.face_starts, len(ASSET.loop_vertices))
    skin = ASSET.material_faces("skin")
    faces = [ASSET.loop_vertices[starts[f]:starts[f + 1]] for f in skin]
    edges = np.sort(np.concatenate([np.stack([f, np.roll(f, -1)], axis=1) for f in faces]), axis=1)
    unique, count = np.unique(edges, axis=0, return_counts=True)
    border = np.unique(unique[count == 1])
    co = ASSET.positions
    ring = border[np.linalg.norm(co[border] - ASSET.joint("eye.L"), axis=1) < 0.025]
    a, b = co[ring[np.argmin(co[ring, 0])]], co[ring[np.argmax(co[ring, 0])]]
    above = co[ring, 2] > a[2] + (co[ring, 0] - a[0]) / (b[0] - a[0]) * (b[2] - a[2])
    return ring[above], ring[~above]


def closed_gaps(positions: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Height of each upper-margin vertex over the lower margin below it (the middle 70 %)."""
    order = lower[np.argsort(positions[lower, 0])]
    under = np.interp(positions[upper, 0], positions[order, 0], positions[order, 2])
    x = positions[upper, 0]
    middle = (x > np.percentile(x, 15)) & (x < np.percentile(x, 85))
    return (positions[upper, 2] - under)[middle]


def test_the_default_identity_keeps_the_asset_offsets() -> None:
    for (idx, delta), row in zip(unit_offsets(ASSET, DEFAULT, ASSET.positions, ROWS), ROWS, strict=True):
        assert np.shares_memory(delta, ASSET.key_deltas)  # the asset's own array, not a copy
        assert np.array_equal(idx, ASSET.key_delta(row)[0]) and np.array_equal(delta, ASSET.key_delta(row)[1])


@pytest.mark.parametrize("text", [OLD_MAN, YOUNG_MAN, "gender=0,age=45,caucasian=1"])
def test_an_eye_closure_closes_each_identitys_lids_as_the_default_heads(text: str) -> None:
    upper, lower = lid_margins()
    row = ASSET.key_names.index("eyeBlinkLeft")
    on_default = closed_gaps(ASSET.positions + ASSET.key_dense(row), upper, lower)
    identity = parse_identity(text, DETAILS)
    neutral, _ = shape(ASSET, identity)
    idx, delta = unit_offsets(ASSET, identity, neutral, ROWS)[ROWS.index(row)]
    closed = neutral.copy()
    closed[idx] += delta
    error = closed_gaps(closed, upper, lower) - on_default
    raw = closed_gaps(neutral + ASSET.key_dense(row), upper, lower) - on_default
    assert abs(error.mean()) < 0.0002 and np.abs(error).max() < 0.0007, text
    if text in (OLD_MAN, YOUNG_MAN):  # raw offsets cross these lids, or leave them apart, by ~1 mm
        assert abs(raw.mean()) > 0.0009, text


def test_carried_offsets_keep_their_size_and_stay_smooth() -> None:
    identity = parse_identity("random:3", DETAILS)
    neutral, _ = shape(ASSET, identity)
    edges = polygon_edges(ASSET.face_starts, ASSET.loop_vertices)
    for row, (idx, delta) in zip(ROWS, unit_offsets(ASSET, identity, neutral, ROWS), strict=True):
        raw = ASSET.key_dense(row)
        carried = np.zeros_like(raw)
        carried[idx] = delta
        size = np.linalg.norm(raw, axis=1).max()
        assert 0.6 < np.linalg.norm(carried, axis=1).max() / size < 1.5, ASSET.key_names[row]
        # neighbours' carried offsets differ about as much as their raw offsets do (no tearing)
        jump = np.linalg.norm(carried[edges[:, 0]] - carried[edges[:, 1]], axis=1).max()
        raw_jump = np.linalg.norm(raw[edges[:, 0]] - raw[edges[:, 1]], axis=1).max()
        assert jump < 1.5 * raw_jump + 0.001, ASSET.key_names[row]
