# SPDX-License-Identifier: GPL-3.0-or-later
"""Head and eye rotations (radians) to the FACS head and eye position AUs 51–56 and 61–64.

FACS scores head and eye positions as AUs with intensities; a tracker reports angles. Each signed
angle becomes two one-directional AUs (51 left / 52 right, ...) whose intensity is the angle over
a full-intensity angle, clipped to 0..1. The full-intensity angles are engineering defaults
(docs/importers.md), chosen so ordinary head movement stays within B–D and so 1.0 on the eyes
matches ARKit's ``eyeLook*`` scale (measured on a real Live Link Face take: a shape weight of 1
is about 0.6 rad of eye rotation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

HEAD_YAW_FULL_DEG = 30.0
HEAD_PITCH_FULL_DEG = 20.0
HEAD_ROLL_FULL_DEG = 20.0
EYE_YAW_FULL_DEG = 35.0
EYE_PITCH_FULL_DEG = 35.0


@dataclass(frozen=True)
class Axis:
    """One signed rotation: positive angles drive ``positive_au``, negative ones ``negative_au``."""

    positive_au: int
    negative_au: int
    full_deg: float


# Head: 51 turn left, 52 turn right, 53 up, 54 down, 55 tilt left, 56 tilt right (subject's sides).
# Eyes: 61 left, 62 right, 63 up, 64 down.
TURN_RIGHT_POSITIVE = Axis(52, 51, HEAD_YAW_FULL_DEG)
DOWN_POSITIVE = Axis(54, 53, HEAD_PITCH_FULL_DEG)
TILT_LEFT_POSITIVE = Axis(55, 56, HEAD_ROLL_FULL_DEG)
TILT_RIGHT_POSITIVE = Axis(56, 55, HEAD_ROLL_FULL_DEG)
EYES_LEFT_POSITIVE = Axis(61, 62, EYE_YAW_FULL_DEG)
EYES_RIGHT_POSITIVE = Axis(62, 61, EYE_YAW_FULL_DEG)
EYES_DOWN_POSITIVE = Axis(64, 63, EYE_PITCH_FULL_DEG)

HEAD_AXES = (TURN_RIGHT_POSITIVE, DOWN_POSITIVE, TILT_RIGHT_POSITIVE)
"""Head yaw, pitch and roll as ARKit trackers (Live Link Face, its live stream, the phone apps) and
the face reader give them: +yaw to the subject's right, +pitch down, +roll to the right. The eye
signs were measured on a real Live Link Face take against the ``eyeLook*`` shapes; the head is
assumed to follow the same convention (docs/importers.md)."""
EYE_AXES = (EYES_RIGHT_POSITIVE, EYES_DOWN_POSITIVE)
"""Eye yaw and pitch in the same convention as :data:`HEAD_AXES`."""


def angle_tracks(angle: np.ndarray, axis: Axis) -> dict[int, np.ndarray]:
    """Two AU intensity arrays from one angle array in radians (NaN stays NaN)."""
    scaled = np.asarray(angle, dtype=float) / math.radians(axis.full_deg)
    return {
        axis.positive_au: np.clip(scaled, 0.0, 1.0),
        axis.negative_au: np.clip(-scaled, 0.0, 1.0),
    }
