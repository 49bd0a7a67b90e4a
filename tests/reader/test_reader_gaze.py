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
    r_scores = np.corrcoef(from_scores, truth)[0, 1]
    r_iris = np.corrcoef(iris, truth)[0, 1]
    assert r_scores > 0.8
    assert r_scores > r_iris + 0.1, (r_scores, r_iris)
