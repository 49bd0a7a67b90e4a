# SPDX-License-Identifier: GPL-3.0-or-later
"""``meta.blendshapes``, as the face reader and a live take keep the raw scores for an ARKit head."""

from __future__ import annotations

import json

import numpy as np

from facs_rig.io.capture import blendshape_meta


def test_scores_rounded_and_null_where_a_frame_has_none() -> None:
    meta = blendshape_meta(("jawOpen", "mouthClose"), np.array([0.0, 1 / 30, 2 / 30]),
                           [np.array([0.123456789, 1.0]), None, np.array([0.0, 2 / 3])])
    assert meta == {"names": ["jawOpen", "mouthClose"], "times": [0.0, 0.033333, 0.066667],
                    "scores": [[0.12346, 1.0], None, [0.0, 0.66667]]}
    json.dumps(meta)  # plain Python numbers
