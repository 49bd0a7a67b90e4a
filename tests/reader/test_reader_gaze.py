# SPDX-License-Identifier: GPL-3.0-or-later
"""Why gaze comes from the ``eyeLook*`` scores and not the iris landmarks: on the rendered head,
whose eyes move left, right, up and down between other AUs, the solved scores follow the rendered
horizontal gaze more closely than the iris centre measured against the eye corners does
(docs/reader.md has the figures)."""

from __future__ import annotations

import numpy as np

from facs_rig.io.blendshapes import solve_shapes
from facs_rig.reader import BLENDSHAPE_NAMES, Frame, Landmarker
from tests.reader.support import intended

EYES = ((33, 133, 468), (362, 263, 473))
"""(corner, corner, iris centre) landmark indices of each eye in MediaPipe's face mesh."""


def iris_offset(landmarks: np.ndarray) -> float:
    """Mean sideways offset of the irises from their eye centres, in eye widths, positive towards
    the image's right (the subject's left)."""
    offsets = []
    for a, b, iris in EYES:
        left, right = sorted((landmarks[a, :2], landmarks[b, :2]), key=lambda p: float(p[0]))
        axis = right - left
        offsets.append(float(np.dot(landmarks[iris, :2] - (left + right) / 2, axis) / np.dot(axis, axis)))
    return float(np.mean(offsets))


def test_eye_look_scores_beat_iris_landmarks(readback_frames: list[Frame]) -> None:
    scores, iris = [], []
    with Landmarker(video=True) as landmarker:
        for frame in readback_frames:
            (face,) = landmarker.read(frame.rgb, round(frame.time * 1000))
            scores.append(face.blendshapes)
            iris.append(iris_offset(face.landmarks * (face.width, face.height, 1)))
    times = np.array([f.time for f in readback_frames])
    truth = intended(times, 61) - intended(times, 62)  # + = towards the subject's left
    solved = solve_shapes(list(BLENDSHAPE_NAMES), np.array(scores)).tracks
    from_scores = solved[(61, "both")] - solved[(62, "both")]
    scored = np.isfinite(from_scores)  # gaze is a gap while both eyes are shut (the next test)
    r_scores = np.corrcoef(from_scores[scored], truth[scored])[0, 1]
    r_iris = np.corrcoef(np.array(iris)[scored], truth[scored])[0, 1]
    assert scored.mean() > 0.8
    assert r_scores > 0.8
    assert r_scores > r_iris + 0.1, (r_scores, r_iris)


def test_gaze_is_a_gap_while_both_eyes_are_shut(readback_frames: list[Frame]) -> None:
    """MediaPipe scores shut eyes as looking down (eyeLookDown about 0.85); no iris shows, so the
    solve leaves gaze unscored there and scores it wherever the lids are open."""
    with Landmarker(video=True) as landmarker:
        scores = [landmarker.read(frame.rgb, round(frame.time * 1000))[0].blendshapes
                  for frame in readback_frames]
    times = np.array([f.time for f in readback_frames])
    shut, open_ = intended(times, 43) >= 0.9, intended(times, 43) == 0.0
    assert shut.sum() >= 5 and open_.sum() >= 20
    down = [BLENDSHAPE_NAMES.index(f"eyeLookDown{side}") for side in ("Left", "Right")]
    eye_look_down = np.array(scores)[:, down]
    assert eye_look_down[shut].mean() > 0.5  # what the rule is for
    solved = solve_shapes(list(BLENDSHAPE_NAMES), np.array(scores)).tracks
    for au in (61, 62, 63, 64):
        assert np.isnan(solved[(au, "both")][shut]).all(), au
        assert np.isfinite(solved[(au, "both")][open_]).all(), au
    assert np.isfinite(solved[(43, "L")]).all() and solved[(43, "L")][shut].min() > 0.5
