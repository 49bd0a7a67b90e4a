# SPDX-License-Identifier: GPL-3.0-or-later
"""AU 6, 7, 9 and 28 measured on the landmarks (reader.geometry): pure tests on synthetic landmark
sets seen from other poses and sizes, then real reads (the readback render, the astronaut photo)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage

from facs_rig.io.blendshapes import solve_shapes
from facs_rig.io.importer import ImportResult, build
from facs_rig.reader import FaceReading, read_media
from facs_rig.reader import geometry as g
from tests.reader.support import au_value, intended

RNG = np.random.default_rng(7)
BASE = RNG.uniform(-1.0, 1.0, (g.LANDMARKS, 3))
"""A face in head units (IOD 1, origin between the eyes): random points, then the measured ones."""
for _side, _x in (("R", -0.5), ("L", 0.5)):
    _outer, _inner = (33, 133) if _side == "R" else (263, 362)
    BASE[_outer], BASE[_inner] = (_x * 1.4, 0.0, 0.0), (_x * 0.6, 0.0, 0.05)
    BASE[list(g.UPPER_LID[_side])] = (_x, 0.12, 0.1)
    BASE[list(g.LOWER_LID[_side])] = (_x, -0.08, 0.1)
    BASE[list(g.CHEEK[_side])] = (_x * 1.2, -0.3, 0.05)
    BASE[list(g.NOSE_WING[_side])] = (_x * 0.4, -0.6, 0.2)
    BASE[list(g.INNER_BROW[_side])] = (_x * 0.5, 0.35, 0.1)
for _pairs, _y_outer, _y_inner in ((g.UPPER_RED, -0.9, -1.1), (g.LOWER_RED, -1.3, -1.1)):
    for (_outer, _inner), _x in zip(_pairs, (0.0, -0.15, 0.15), strict=True):
        BASE[_outer], BASE[_inner] = (_x, _y_outer, 0.3), (_x, _y_inner, 0.25)
BASE[61], BASE[291] = (-0.45, -1.1, 0.1), (0.45, -1.1, 0.1)
WIDTH, HEIGHT = 640, 480


def _rotation(yaw: float, pitch: float) -> np.ndarray:
    y, p = np.radians(yaw), np.radians(pitch)
    turn = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    return turn @ tilt


def _seen(points: np.ndarray, *, yaw: float = 0.0, pitch: float = 0.0, iod: float = 60.0,
          at: tuple[float, float] = (320.0, 240.0)) -> tuple[np.ndarray, np.ndarray]:
    """The reader's landmarks and matrix for head-frame ``points``: turned, scaled to ``iod``
    pixels and placed at ``at`` in a 640×480 image (the inverse of :func:`g.head_frame`)."""
    rotation = _rotation(yaw, pitch)
    camera = points @ rotation.T * iod
    landmarks = np.stack([(camera[:, 0] + at[0]) / WIDTH, (at[1] - camera[:, 1]) / HEIGHT,
                          -camera[:, 2] / WIDTH], axis=-1)
    matrix = np.eye(4)
    matrix[:3, :3] = rotation * 3.0  # the model's matrices carry a scale; only the rotation counts
    return landmarks, matrix


def _read(*faces: np.ndarray, neutral: int | None = 0, **pose: float) -> dict[tuple[int, str], np.ndarray]:
    seen = [_seen(face, **pose) for face in faces]
    landmarks, matrices = np.array([s[0] for s in seen]), np.array([s[1] for s in seen])
    out = g.geometric_aus(landmarks, matrices, np.tile([WIDTH, HEIGHT], (len(faces), 1)), neutral=neutral)
    assert out is not None
    return out


def _moved(ids: tuple[int, ...] | list[int], by: tuple[float, float, float],
           face: np.ndarray = BASE) -> np.ndarray:
    out = face.copy()
    out[list(ids)] += by
    return out


def _thinned(face: np.ndarray, share: float) -> np.ndarray:
    """Each lip's outer contour moved ``share`` of the way to its inner one: that much red hidden."""
    out = face.copy()
    for outer, inner in (*g.UPPER_RED, *g.LOWER_RED):
        out[outer] += share * (face[inner] - face[outer])
    return out


def test_head_frame_takes_out_pose_and_size() -> None:
    front = g.head_frame(*(a[None] for a in _seen(BASE)), np.array([[WIDTH, HEIGHT]]))
    turned = g.head_frame(*(a[None] for a in _seen(BASE, yaw=30, pitch=-12, iod=95, at=(200, 300))),
                          np.array([[WIDTH, HEIGHT]]))
    np.testing.assert_allclose(turned, front, atol=1e-9)
    np.testing.assert_allclose(front[0], BASE - (BASE[[33, 133, 263, 362]].mean(0)), atol=1e-9)


@pytest.mark.parametrize("yaw", [0.0, 30.0])
def test_hidden_red_reads_as_lip_suck_and_nothing_else(yaw: float) -> None:
    read = _read(BASE, _thinned(BASE, 0.4), yaw=yaw)
    assert read[(28, "T")][1] == pytest.approx(0.4) and read[(28, "B")][1] == pytest.approx(0.4)
    assert all(read[(au, side)][1] == pytest.approx(0.0) for au in (6, 7, 9) for side in ("L", "R"))
    assert all(np.all(track[0] == 0.0) for track in read.values())  # the neutral reads nothing


def test_stretched_or_parted_lips_are_not_sucked_in() -> None:
    corners = BASE.copy()
    corners[[61, 291]] *= (1.25, 1.0, 1.0)  # the mouth 25 % wider ...
    stretched = _thinned(corners, 0.2)  # ... and the red 20 % lower: the same area of red
    parted = _thinned(_moved([p for pair in g.UPPER_RED for p in pair], (0.0, g.OPEN_MOUTH, 0.0)), 0.4)
    read = _read(BASE, stretched, parted)
    assert read[(28, "T")][1] == pytest.approx(0.0, abs=1e-9) == read[(28, "B")][1]
    assert read[(28, "T")][2] == pytest.approx(0.0, abs=1e-9)  # lips parted by OPEN_MOUTH: not measured


def test_nose_wrinkle_needs_the_wing_up_and_the_inner_brow_down() -> None:
    wing = [i for side in ("L", "R") for i in g.NOSE_WING[side]]
    brow = [i for side in ("L", "R") for i in g.INNER_BROW[side]]
    up = _moved(wing, (0.0, 0.05, 0.0))
    both = _moved(brow, (0.0, -0.05, 0.0), up)
    read = _read(BASE, up, _moved(brow, (0.0, -0.05, 0.0)), both, pitch=10.0)
    assert read[(9, "L")][1] == 0.0 and read[(9, "L")][2] == 0.0  # a raised lip (10) or a frown (4)
    assert read[(9, "L")][3] == pytest.approx(0.05 / g.FULL_MOVE) == read[(9, "R")][3]


def test_a_lower_lid_pushed_up_by_the_cheek_is_6_and_one_raised_alone_is_7() -> None:
    """FACS: AU6 raises the cheek and the infraorbital skin, which push the lower lid up; AU7 raises
    the lower lid without the cheek. The lid's rise counts as 6 as far as the cheek rose with it."""
    pushed = _moved([*g.LOWER_LID["L"], *g.CHEEK["L"]], (0.0, 0.03, 0.0))
    tightened = _moved(g.LOWER_LID["L"], (0.0, 0.03, 0.0))
    both = _moved(g.CHEEK["L"], (0.0, 0.01, 0.0), tightened)  # the lid rises further than the cheek
    cheek = _moved(g.CHEEK["L"], (0.0, 0.05, 0.0))  # the cheek alone (a smile's 12) moves no lid
    closed = _moved(g.UPPER_LID["L"], (0.0, -0.19, 0.0), pushed)  # the upper lid down onto it
    read = _read(BASE, pushed, tightened, both, cheek, closed, yaw=-20.0)
    six, seven = read[(6, "L")], read[(7, "L")]
    assert six[1] == pytest.approx(0.03 / g.FULL_MOVE) and seven[1] == pytest.approx(0.0, abs=1e-9)
    assert six[2] == pytest.approx(0.0, abs=1e-9) and seven[2] == pytest.approx(0.03 / g.FULL_MOVE)
    assert six[3] == pytest.approx(0.01 / g.FULL_MOVE) and seven[3] == pytest.approx(0.02 / g.FULL_MOVE)
    assert six[4] == pytest.approx(0.0, abs=1e-9) and seven[4] == pytest.approx(0.0, abs=1e-9)
    assert six[5] == 0.0 and seven[5] == 0.0
    assert all(np.all(read[(au, "R")] == pytest.approx(0.0, abs=1e-9)) for au in (6, 7))


def test_7_keeps_its_own_slight_upper_lid_drop_and_fades_as_the_eye_closes() -> None:
    """7 narrows the eye from above a little; only an upper lid further down than LID_SLACK of the
    opening (0.2 here) fades 6 and 7, to nothing at CLOSED_EYE."""
    tightened = _moved(g.LOWER_LID["L"], (0.0, 0.03, 0.0))
    opening = 0.2
    drops = (0.1 * opening, (g.LID_SLACK + g.CLOSED_EYE) / 2 * opening, g.CLOSED_EYE * opening)
    read = _read(BASE, *(_moved(g.UPPER_LID["L"], (0.0, -drop, 0.0), tightened) for drop in drops))
    full = 0.03 / g.FULL_MOVE
    assert read[(7, "L")][1:] == pytest.approx([full, full / 2, 0.0], abs=1e-9)


def test_without_a_neutral_the_take_rests_at_its_median() -> None:
    faces = [BASE] * 30 + [_thinned(BASE, 0.5)] * 10
    read = _read(*faces, neutral=None, yaw=15.0)
    np.testing.assert_allclose(read[(28, "T")], [0.0] * 30 + [0.5] * 10, atol=1e-9)
    short = [_seen(f) for f in faces[: g.MIN_BASELINE_FRAMES - 1]]
    assert g.geometric_aus(np.array([s[0] for s in short]), np.array([s[1] for s in short]),
                           np.tile([WIDTH, HEIGHT], (len(short), 1))) is None


def test_gaps_stay_gaps() -> None:
    faces = [_seen(f) for f in [BASE] * 40]
    landmarks, matrices = np.array([f[0] for f in faces]), np.array([f[1] for f in faces])
    landmarks[5], matrices[5] = np.nan, np.nan
    read = g.geometric_aus(landmarks, matrices, np.tile([WIDTH, HEIGHT], (40, 1)))
    assert read is not None
    assert all(np.isnan(track[5]) and np.all(track[np.arange(40) != 5] == 0.0) for track in read.values())


def test_readings_are_measured_in_chunks_with_gaps(monkeypatch: pytest.MonkeyPatch) -> None:
    faces = [BASE] * 30 + [_thinned(BASE, 0.5)] * 10
    seen = [_seen(f, yaw=10.0) for f in faces]
    readings: list[FaceReading | None] = [FaceReading(np.zeros(51), lm, m, WIDTH, HEIGHT) for lm, m in seen]
    readings[3] = None
    monkeypatch.setattr(g, "CHUNK", 7)
    read = g.measured_aus(readings)
    assert read is not None and np.isnan(read[(28, "B")][3])
    np.testing.assert_allclose(np.delete(read[(28, "B")], 3), [0.0] * 29 + [0.5] * 10, atol=1e-9)
    assert g.measured_aus(readings, neutral=3) is None  # no face at rest, nothing to measure from
    assert g.measured_aus(readings, neutral=0)[(28, "T")][35] == pytest.approx(0.5)


# real reads


def test_the_readback_take_measures_no_unposed_au(readback: ImportResult) -> None:
    """The readback render poses 1+2, 12, 25+26, 43, R12 and head turns, none of 6, 7, 9 or 28: their
    measured tracks stay below verify's MIN_READ (0.15), and near 0 where the face is at rest and
    frontal. A strong smile lifts the cheek and so the lower lid (FACS: 12 partly mimics 6): AU6 may
    read there, below the smile itself, and the lid's rise is not taken for 7 (the blendshape
    model's ``eyeSquint`` calls it 7)."""
    sources = {t.source for t in readback.timeline.tracks if t.au in g.MEASURED_AUS}
    assert sources == {g.SOURCE}
    times = np.asarray(readback.timeline.tracks[0].times)
    posed = np.max([intended(times, au) for au in (1, 2, 12, 25, 26, 43, 51, 52)], axis=0)
    at_rest, smiling = posed < 0.02, intended(times, 12) > 0.5
    assert at_rest.sum() >= 15 and smiling.sum() >= 10
    for au in g.MEASURED_AUS:
        track = au_value(readback, au)
        assert np.nanmax(track[~smiling]) < 0.15, au
        assert np.nanmax(track[at_rest]) < 0.05, au
    cheek, smile = au_value(readback, 6)[smiling], au_value(readback, 12)[smiling]
    assert np.all(cheek < smile / 2)
    assert np.nanmax(au_value(readback, 7)[smiling]) < 0.10  # at most a trace (the A band)


def test_astronaut_photo_reads_a_smile_and_no_lip_au(tmp_path: Path) -> None:
    """One photo has no resting face: the landmark AUs are left out with a warning, and the solved
    reading is a smile, not a dimpler, tightener, presser or suck."""
    photo = tmp_path / "astronaut.jpg"
    skimage.io.imsave(photo, skimage.data.astronaut())
    capture = read_media(photo)
    assert any("AU 6, 7, 9 and 28 not measured" in w for w in capture.warnings)
    au = solve_shapes(capture.shape_names, capture.shape_weights).tracks
    assert au[(12, "L")][0] > 0.5 and au[(12, "R")][0] > 0.5
    result = build(capture)
    lips = [t for t in result.timeline.tracks if t.au in (14, 23, 24, 28)]
    assert lips and all(float(t.values[0]) < 0.15 for t in lips)
    assert not [t for t in result.timeline.tracks if t.source == g.SOURCE]
